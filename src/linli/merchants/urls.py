from django.urls import path

from linli.merchants import exit_views, views

app_name = "merchants"
urlpatterns = [
    path("c/<slug:slug>/merchants/", views.public_merchants, name="public"),
    path("c/<slug:slug>/merchants/apply/", views.apply, name="apply"),
    path("c/<slug:slug>/merchants/committee/", views.committee, name="committee"),
    path("c/<slug:slug>/merchants/console/", views.console, name="console"),
    path("c/<slug:slug>/merchants/console/leave/", exit_views.leave, name="leave"),
    path("c/<slug:slug>/merchants/exits/", exit_views.exits, name="exits"),
    path("c/<slug:slug>/merchants/waiting/", views.waiting, name="waiting"),
]
