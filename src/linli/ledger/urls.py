from django.urls import path

from linli.ledger import views

app_name = "ledger"
urlpatterns = [
    path("c/<slug:slug>/ledger/", views.public_ledger, name="public"),
    path(
        "c/<slug:slug>/ledger/checkpoints/<int:tree_size>.txt",
        views.checkpoint_note,
        name="checkpoint_note",
    ),
    path("me/ledger/", views.my_ledger, name="mine"),
    path("me/ledger/accounts/<int:account_id>/", views.my_statement, name="statement"),
    path("me/ledger/evidence.json", views.my_evidence, name="evidence"),
]
