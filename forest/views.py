from django.shortcuts import render


def home(request):
    """A landing page that points people to the right door: API docs, portal or admin."""
    return render(request, "home.html")
