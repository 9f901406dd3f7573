from django.urls import path

from linli.members import dividend_views, fee_receipts, views

app_name = "members"
urlpatterns = [
    path("c/<slug:slug>/join/", views.join, name="join"),
    path("c/<slug:slug>/charter/", views.charter, name="charter"),
    path("c/<slug:slug>/founding/", views.founding, name="founding"),
    path("c/<slug:slug>/ops/members/", views.desk, name="desk"),
    path("c/<slug:slug>/ops/dividends/", dividend_views.dividends, name="dividends"),
    path("me/membership/", views.mine, name="mine"),
    path("login/phone/", views.phone_login, name="phone_login"),
    path("me/referrals/", views.referrals, name="referrals"),
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/inbox/<int:notice_id>/", views.notice, name="notice"),
    path("me/groups/", views.groups, name="groups"),
    path("me/membership/my-data.json", views.export, name="export"),
    path(
        "me/membership/<int:membership_id>/receipt.pdf",
        fee_receipts.fee_receipt_pdf,
        name="fee_receipt_pdf",
    ),
]
