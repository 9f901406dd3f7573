from django.urls import path

from linli.commerce import shop_views, views

app_name = "commerce"
urlpatterns = [
    path("c/<slug:slug>/till/", views.till, name="till"),
    path("c/<slug:slug>/card/", views.card, name="card"),
    path("c/<slug:slug>/receipts/<int:sale_id>/", views.receipt, name="receipt"),
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
