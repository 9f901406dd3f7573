from django.urls import path

from linli.commerce import coupon_views, views

app_name = "commerce"
urlpatterns = [
    path("c/<slug:slug>/till/", views.till, name="till"),
    path("c/<slug:slug>/card/", views.card, name="card"),
    path("c/<slug:slug>/receipts/<int:sale_id>/", views.receipt, name="receipt"),
    path("c/<slug:slug>/coupons/", coupon_views.member_coupons, name="coupons"),
    path("c/<slug:slug>/shop-coupons/", coupon_views.shop_coupons, name="shop_coupons"),
    path("c/<slug:slug>/campaigns/", coupon_views.campaigns, name="campaigns"),
]
