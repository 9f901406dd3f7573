"""The two plans as policy presets: every number of `PolicyVersion`, with where it comes from.

A = seeds/000_… (2025 pilot), B = seeds/001_…; "A§2.1" = plan A, part 二, item 1.
Units follow the field names: fen, basis points (10 000 = 100 %), asset units (TIME at
scale 2: 1 coin = 100 units; PTS at scale 0). A feature a plan does not have is 0 ("off");
a cap a plan does not set is None ("no cap"). Where a plan names a feature without a
number, the value is marked "placeholder" — a starting point the member assembly changes
through a new policy version, never a promise made by the plan.
"""

from typing import Any

from linli.communities.models import Asset, TierScheme

PRESET_A: dict[str, Any] = {
    # --- membership ---
    "member_fee_fen": 9_900,  # A§2.1 年费99元
    "member_fee_early_bird_fen": 9_900,  # A has no early-bird price
    "early_bird_window_days": 0,
    "family_package_fee_fen": 0,  # A has no family package
    "family_package_max_members": 0,
    "included_free_services_per_year": 10,  # A§2.1 含10次免费社区服务
    "admission_review_required": False,
    "member_tier_scheme": TierScheme.SILVER_GOLD_DIAMOND.value,  # A§3.2 白银/黄金/钻石
    "member_discount_min_bp": 500,  # A§2.1 联盟商家95折起
    "member_discount_max_bp": 3_000,  # A gives only the floor; B§1.3's 30% as the ceiling
    "membership_grace_days": 30,  # plans silent; placeholder
    "refund_full_days": 7,  # SPEC: 7-day no-reason refund of a prepayment
    "founding_members_max": 20,  # A§5 招募20名"共创会员"
    "founding_member_fee_waived": True,  # A§5 免费体验
    # Renewal, referral velocity and sign-in codes: neither plan gives numbers; these are
    # the values the code used as constants before they became policy (issue 4).
    "renewal_window_days": 60,
    "renewal_reminder_days": 30,
    "referrals_per_referrer_daily_max": 10,  # anti-abuse velocity limit
    "sms_codes_per_phone_hour": 5,
    "sms_codes_per_ip_hour": 20,
    "sms_code_lifetime_minutes": 5,
    "new_member_gift_price_fen": 100,  # A§5 "1元换购"
    "new_member_gift_value_fen": 20_000,  # A§5 价值200元商家礼包
    # --- neighbourly time and rewards ---
    "service_hour_reward_asset": Asset.TIME.value,  # A§2.1 服务时长兑换"时间币"
    "service_hour_reward_units": 1_000,  # A§2.1 1小时=10元 → 10 coins × 100 units
    "coin_value_fen": 100,  # A§2.3 时间币 1:1 抵扣
    "point_value_fen": 25,  # A issues no points; B's value kept for a mixed alliance
    "spend_reward_asset": Asset.TIME.value,  # A§3.2 白银: 消费返5%时间币
    "spend_reward_bp": 500,  # 5 % of the spend's fen, as coin units (1 unit = 1 fen)
    "daily_redemption_cap_points": None,  # A sets no cap
    "points_validity_months": 12,  # research/china-ecosystem.md §6: ≥ 12 months per grant
    # --- referrals ---
    "referral_depth": 1,  # compliance: direct referrer only (B§3.1)
    "referral_reward_asset": Asset.CNY.value,  # A§3.2 推荐奖励10元/人
    "referral_reward_units": 1_000,  # 10 CNY in fen
    "referral_reward_yearly_cap": 12,  # plans silent; compliance needs a cap (loyalty.md §8.4)
    "referrals_to_waive_fee": 3,  # A§2.1 推荐3人免次年费
    "merchant_referral_reward_points": 0,  # A has no reward for introducing merchants
    # --- merchants ---
    "merchant_annual_fee_fen": 200_000,  # A§3.1 缴纳2000元年费
    "merchant_deposit_fen": 50_000,  # A§3.3 商家缴纳500元保证金, 平台托管
    "commission_min_bp": 100,  # A§4.1 商家抽成 每笔交易1-3%
    "commission_max_bp": 300,
    "cross_referral_rebate_bp": 500,  # A§2.1 会员消费推荐返利5%
    "merchant_offer_min_bp": 100,  # A§2.1 每月提供专属折扣/免费服务(占营收1-3%)
    "merchant_offer_max_bp": 300,
    "merchant_min_referrals_per_month": 2,  # A§3.1 每月至少推荐2名新会员
    "merchant_profit_pledge_bp": 100,  # A§2.2 利润1%反哺社区公益
    "complaint_rate_red_bp": 500,  # B§3.2's 5 % rule adopted; A§3.3 pays complaints first
    "quarterly_replace_bottom_bp": 2_000,  # A§6.1 季度评分后20%淘汰
    "merchant_exit_notice_days": 30,  # SPEC: 30 days' notice to members
    # A§3.3 pays complaints from the deposit but gives no top-up time: one week chosen.
    "merchant_deposit_top_up_days": 7,
    # A§6.1 scores quarterly without weights; these are ours (issue 5: "weights in the
    # policy"): sales 30, ratings 25, duties 15, referrals 10, complaints −20.
    "merchant_score_sales_weight": 30,
    "merchant_score_rating_weight": 25,
    "merchant_score_duties_weight": 15,
    "merchant_score_referrals_weight": 10,
    "merchant_score_complaints_penalty": 20,
    # Trust numbers neither plan gives (A§3.3 信任机制 and B§3.2 红黑榜 name no window, no
    # minimum, no rating line, no deadlines): the values the code used before they were
    # settings, the same in A and B — placeholders for the member assembly to change.
    "merchant_complaint_window_days": 90,  # B§3.2 投诉率 over a rolling quarter
    "merchant_complaint_min_sales": 20,  # below 20 sales one complaint is ≥ 5 %: noise
    "merchant_rating_amber_below_tenths": 35,  # a 3.5-star average turns the light amber
    "merchant_seat_offer_days": 7,  # a week to accept a reopened seat (waiting list)
    "merchant_exit_notify_buyers_days": 90,  # buyers of the last 90 days hear of an exit
    "ad_slot_price_min_fen": 30_000,  # A§4.2 广告位 300-500元/月/位
    "ad_slot_price_max_fen": 50_000,
    # --- alliance commerce ---
    "cross_store_coupon_min_spend_fen": 5_000,  # A§2.2 在A店消费满50元
    "cross_store_coupon_value_fen": 500,  # A§2.2 获赠B店5元无门槛券
    "cross_store_coupon_platform_subsidy_bp": 2_000,  # A§2.2 平台补贴20%
    "bundle_min_discount_bp": 2_000,  # A§2.2 打包价低于单品总价20%
    "group_buy_margin_min_bp": 500,  # A§4.2 供应链差价(团购集采, 5-10%毛利)
    "group_buy_margin_max_bp": 1_000,
    "coupon_max_discount_bp": 8_000,  # SPEC: 折扣 floor 2折
    "return_window_days": 7,  # SPEC: points frozen until the return window closes
    "interest_group_min_members": 10,  # B§2.3's rule; A names no group discount
    "interest_group_discount_bp": 0,
    # --- time bank ---
    "senior_age_years": 60,  # A§2.3 60岁以上老人
    "seniors_free_basic_services": True,  # A§2.3 免费使用基础服务, 由平台时间币池补贴
    "matching_response_minutes": 30,  # A§2.3 30分钟响应半径
    "shortage_threshold_bp": 3_000,  # A§6.2 预约量超库存30%
    "shortage_platform_share_bp": 5_000,  # A§6.2 平台补贴50%时间币
    "enterprise_coin_price_bp": 12_000,  # A§4.2 企业公益采购, 1:1.2兑换
    # --- tiers ---
    "gold_min_direct_referrals": 30,  # A§3.2 组长(黄金): 团队30人以上 (direct only)
    "gold_team_spend_bp": 200,  # A§3.2 享受团队消费2%抽成
    "diamond_min_gold_referrals": 2,  # A§3.2 理事(钻石): 孵化2个黄金团队
    "diamond_dividends": True,  # A§3.2 参与平台分红
    # --- settlement and funds ---
    "member_profit_share_bp": 0,  # A promises no general return
    "profit_share_spend_weight_bp": 0,
    "community_fund_sale_bp": 50,  # A§7 每笔消费提取0.5%进入"社区共益基金"
    "community_fund_profit_bp": 0,
}

PRESET_B: dict[str, Any] = {
    # --- membership ---
    "member_fee_fen": 100_000,  # B§1.1 年费制: 1000元/年
    "member_fee_early_bird_fen": 80_000,  # B§1.1 可设置早鸟价; placeholder 8折
    "early_bird_window_days": 30,  # placeholder
    "family_package_fee_fen": 250_000,  # B§1.1 家庭套餐折扣; placeholder for 3 people
    "family_package_max_members": 3,
    "included_free_services_per_year": 0,
    "admission_review_required": True,  # B§1.1 通过审核筛选 (兴趣、技能、服务意愿问卷)
    "member_tier_scheme": TierScheme.BASIC_VIP.value,  # B§1.1 基础会员 / VIP会员
    "member_discount_min_bp": 1_000,  # B§1.3 会员专属价 低于市场价10%-30%
    "member_discount_max_bp": 3_000,
    "membership_grace_days": 30,  # plans silent; placeholder
    "refund_full_days": 7,  # SPEC: 7-day no-reason refund of a prepayment
    "founding_members_max": None,  # B§2.2 "创始会员" without a number
    "founding_member_fee_waived": True,  # B§2.2 首年免费
    # Renewal, referral velocity and sign-in codes: neither plan gives numbers; these are
    # the values the code used as constants before they became policy (issue 4).
    "renewal_window_days": 60,
    "renewal_reminder_days": 30,
    "referrals_per_referrer_daily_max": 10,  # anti-abuse velocity limit
    "sms_codes_per_phone_hour": 5,
    "sms_codes_per_ip_hour": 20,
    "sms_code_lifetime_minutes": 5,
    "new_member_gift_price_fen": 0,  # B has no gift pack
    "new_member_gift_value_fen": 0,
    # --- neighbourly time and rewards ---
    "service_hour_reward_asset": Asset.PTS.value,  # B§1.2 积分
    "service_hour_reward_units": 100,  # B§1.2 1小时=100积分
    "coin_value_fen": 100,  # B has no coins; 1 coin = 1 CNY if ever enabled
    # B§2.2 "用2小时理发服务兑换50元超市购物券": 200 points = 50 CNY → 25 fen a point.
    # (B§2.3's "推荐1人得100元积分" would make it 50 fen; the concrete exchange wins.)
    "point_value_fen": 25,
    "spend_reward_asset": Asset.PTS.value,  # B§1.1 每消费1元返0.5元积分 (SPEC: 0.5 points)
    "spend_reward_bp": 50,  # 100 fen × 50 / 10 000 = 0.5 point per CNY
    "daily_redemption_cap_points": 5_000,  # B§3.2 单日积分兑换上限(如5000积分/天)
    "points_validity_months": 12,  # research/china-ecosystem.md §6: ≥ 12 months per grant
    # --- referrals ---
    "referral_depth": 1,  # B§3.1 推荐奖励仅限一级 (overrules B§1.3 "三级以内")
    "referral_reward_asset": Asset.PTS.value,  # B§1.2 每推荐1名有效会员得200积分
    "referral_reward_units": 200,
    "referral_reward_yearly_cap": 12,  # plans silent; compliance needs a cap (loyalty.md §8.4)
    "referrals_to_waive_fee": 0,  # B: points may pay the next fee instead (B§1.2)
    "merchant_referral_reward_points": 500,  # B§1.2 推荐商家入驻得500积分
    # --- merchants ---
    "merchant_annual_fee_fen": 50_000,  # B§1.3 商家入驻费(低门槛, 如500元/年)
    "merchant_deposit_fen": 0,  # B asks no deposit
    "commission_min_bp": 300,  # B§1.3 按会员消费抽成3%-5%
    "commission_max_bp": 500,
    "cross_referral_rebate_bp": 0,  # B has no merchant cross-referral rebate
    "merchant_offer_min_bp": 0,  # B's duty is the member price, not a monthly offer
    "merchant_offer_max_bp": 0,
    "merchant_min_referrals_per_month": 0,
    "merchant_profit_pledge_bp": 0,
    "complaint_rate_red_bp": 500,  # B§3.2 投诉率>5%则淘汰
    "quarterly_replace_bottom_bp": 0,  # B§3.3 criteria change by assembly vote instead
    "merchant_exit_notice_days": 30,  # SPEC: 30 days' notice to members
    "merchant_deposit_top_up_days": 7,  # B has no deposit; kept for a policy that adds one
    # B has no quarterly replacement (bottom 0 %); the ranking still uses A's weights.
    "merchant_score_sales_weight": 30,
    "merchant_score_rating_weight": 25,
    "merchant_score_duties_weight": 15,
    "merchant_score_referrals_weight": 10,
    "merchant_score_complaints_penalty": 20,
    # Trust numbers: B§3.2 gives the 5 % line only; the rest as in A (placeholders).
    "merchant_complaint_window_days": 90,
    "merchant_complaint_min_sales": 20,
    "merchant_rating_amber_below_tenths": 35,
    "merchant_seat_offer_days": 7,
    "merchant_exit_notify_buyers_days": 90,
    "ad_slot_price_min_fen": 30_000,  # B silent; A§4.2's range kept for paid exposure
    "ad_slot_price_max_fen": 50_000,
    # --- alliance commerce ---
    "cross_store_coupon_min_spend_fen": 5_000,
    "cross_store_coupon_value_fen": 0,  # B has no cross-store coupon: off
    "cross_store_coupon_platform_subsidy_bp": 0,
    "bundle_min_discount_bp": 0,  # B§2.3 "积分+现金"组合套餐 without a minimum
    "group_buy_margin_min_bp": 0,  # B§1.3 团购预购 without a margin
    "group_buy_margin_max_bp": 0,
    "coupon_max_discount_bp": 8_000,  # SPEC: 折扣 floor 2折
    "return_window_days": 7,
    "interest_group_min_members": 10,  # B§2.3 小组满10人享额外折扣
    "interest_group_discount_bp": 500,  # B§2.3 names no number; placeholder 5 %
    # --- time bank ---
    "senior_age_years": 60,  # elderly mode (MIIT 适老化); B has no free senior services
    "seniors_free_basic_services": False,
    "matching_response_minutes": 30,  # B§4.3 智能匹配 by location; A§2.3's radius adopted
    "shortage_threshold_bp": 3_000,  # A§6.2's alert adopted; B pays no subsidy
    "shortage_platform_share_bp": 0,
    "enterprise_coin_price_bp": 0,  # B sells no coins
    # --- tiers (unused under basic/VIP; kept valid) ---
    "gold_min_direct_referrals": 30,
    "gold_team_spend_bp": 0,
    "diamond_min_gold_referrals": 2,
    "diamond_dividends": False,
    # --- settlement and funds ---
    "member_profit_share_bp": 8_000,  # B§1.1 平台营收的80%按季度返还会员
    "profit_share_spend_weight_bp": 5_000,  # B§1.1 消费返现 + 贡献分红; placeholder 50/50
    "community_fund_sale_bp": 0,
    "community_fund_profit_bp": 500,  # B§3.3 从平台利润中提取5%
}

PRESETS: dict[str, dict[str, Any]] = {"A": PRESET_A, "B": PRESET_B}
