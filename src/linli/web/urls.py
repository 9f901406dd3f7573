from django.urls import path

from linli.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("elderly-mode/", views.elderly_mode_switch, name="elderly_mode"),
]
