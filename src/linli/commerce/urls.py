from django.urls import path

from linli.commerce import bundle_views, views

app_name = "commerce"
urlpatterns = [
    path("c/<slug:slug>/till/", views.till, name="till"),
    path("c/<slug:slug>/card/", views.card, name="card"),
    path("c/<slug:slug>/receipts/<int:sale_id>/", views.receipt, name="receipt"),
    path("c/<slug:slug>/bundles/", bundle_views.shelf, name="bundles"),
    path("c/<slug:slug>/bundles/manage/", bundle_views.manage, name="bundle_manage"),
    path("c/<slug:slug>/bundles/redeem/", bundle_views.redeem, name="bundle_redeem"),
    path("c/<slug:slug>/member-price/", bundle_views.member_price, name="member_price"),
    path("c/<slug:slug>/points/", bundle_views.points_page, name="points"),
]
