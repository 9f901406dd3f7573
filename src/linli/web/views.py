from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database_ok = True
    except Exception:
        database_ok = False
    return JsonResponse({"database": database_ok}, status=200 if database_ok else 503)


def home(request: HttpRequest):
    return render(request, "web/home.html")
