from django.http import HttpRequest


def shell(request: HttpRequest) -> dict:
    return {"elderly_mode": getattr(request, "elderly_mode", False)}
