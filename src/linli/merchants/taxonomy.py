"""The seeded two-level trade taxonomy: the common neighbourhood trades (SPEC capability 3).

Top-level categories follow A§2.2 选商标准 (餐饮/零售/服务/健康) plus education; a seat is
claimed on a second-level trade. Operators add more with `industry_create`. Names are the
Chinese trade names the plans use; codes are stable identifiers.
"""

SEED: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "retail",
        "零售",
        (
            ("supermarket", "超市"),
            ("fresh-produce", "生鲜蔬菜"),
            ("fruit", "水果"),
            ("convenience", "便利店"),
            ("bakery", "烘焙"),
            ("grain-oil", "粮油"),
        ),
    ),
    (
        "food",
        "餐饮",
        (
            ("restaurant", "餐馆"),
            ("breakfast", "早餐"),
            ("tea-drinks", "茶饮"),
        ),
    ),
    (
        "health",
        "健康",
        (
            ("pharmacy", "药店"),
            ("massage", "推拿理疗"),
            ("optician", "眼镜"),
        ),
    ),
    (
        "services",
        "生活服务",
        (
            ("dry-cleaning", "干洗"),
            ("barber", "理发"),
            ("home-services", "家政"),
            ("appliance-repair", "家电维修"),
            ("pet-care", "宠物"),
            ("tailor", "裁缝修补"),
            ("key-shoe-repair", "配钥匙修鞋"),
        ),
    ),
    (
        "education",
        "教育",
        (
            ("tutoring", "课业辅导"),
            ("kids-classes", "兴趣班"),
        ),
    ),
)
