from django.urls import path

from linli.commerce import (
    bundle_views,
    coupon_views,
    groupbuy_views,
    household_views,
    shop_views,
    views,
)

app_name = "commerce"
urlpatterns = [
    path("c/<slug:slug>/till/", views.till, name="till"),
    path("c/<slug:slug>/card/", views.card, name="card"),
    path("c/<slug:slug>/card/rotate/", views.card_rotate, name="card_rotate"),
    path("c/<slug:slug>/receipts/<int:sale_id>/", views.receipt, name="receipt"),
    path("c/<slug:slug>/receipts/<int:sale_id>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("c/<slug:slug>/bundles/", bundle_views.shelf, name="bundles"),
    path("c/<slug:slug>/bundles/manage/", bundle_views.manage, name="bundle_manage"),
    path("c/<slug:slug>/bundles/redeem/", bundle_views.redeem, name="bundle_redeem"),
    path("c/<slug:slug>/member-price/", bundle_views.member_price, name="member_price"),
    path("c/<slug:slug>/points/", bundle_views.points_page, name="points"),
    path("c/<slug:slug>/group-buys/", groupbuy_views.group_buy_list, name="group_buys"),
    path(
        "c/<slug:slug>/group-buys/<int:group_buy_id>/",
        groupbuy_views.group_buy_detail,
        name="group_buy",
    ),
    path("c/<slug:slug>/group-buy-desk/", groupbuy_views.group_buy_desk, name="group_buy_desk"),
    path("c/<slug:slug>/ad-slots/", groupbuy_views.ad_slots, name="ad_slots"),
    path("c/<slug:slug>/coupons/", coupon_views.member_coupons, name="coupons"),
    path("c/<slug:slug>/shop-coupons/", coupon_views.shop_coupons, name="shop_coupons"),
    path("c/<slug:slug>/campaigns/", coupon_views.campaigns, name="campaigns"),
]
urlpatterns += [
    path("c/<slug:slug>/shop/sales/", shop_views.sales, name="shop_sales"),
    path("c/<slug:slug>/shop/settlement/", shop_views.settlement, name="shop_settlement"),
    path("c/<slug:slug>/shop/log/", shop_views.log, name="shop_log"),
    path("c/<slug:slug>/sales/anomalies/", shop_views.anomalies, name="anomalies"),
    path(
        "c/<slug:slug>/card/confirmations/<int:confirmation_id>/",
        shop_views.card_confirmation,
        name="card_confirmation",
    ),
]
urlpatterns += [
    path("c/<slug:slug>/household/", household_views.household_view, name="household"),
]
