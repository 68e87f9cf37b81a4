"""Sign-in and sign-out: Django's own views with the product's template.

Failed sign-ins are counted and locked out by django-axes (dashboard/signin_lockout.py), which
sees them because LoginView's form passes the request to authenticate().
"""

from django.contrib.auth import views as auth_views


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """POST only (Django's rule since 5.0): a link cannot sign anyone out behind their back."""
