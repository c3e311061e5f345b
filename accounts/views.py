from django.contrib.auth import views as auth_views

from accounts import login_throttle


class LoginView(auth_views.LoginView):
    """Django's sign-in page behind the shared sign-in throttle (accounts/login_throttle.py).

    A throttled attempt answers 429 on the sign-in page without checking the password, so a
    guess made after the limit learns nothing, even when it is right."""

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if not username or not request.POST.get("password"):
            return super().post(request, *args, **kwargs)  # "required" errors, no check
        try:
            reservation = login_throttle.reserve_sign_in(
                username=username, address=login_throttle.client_address(request)
            )
        except login_throttle.SignInThrottled as exc:
            # An unbound form: a bound one would authenticate as soon as the page asked
            # for its errors.
            form = self.form_class(request, initial={"username": username})
            response = self.render_to_response(
                self.get_context_data(form=form, throttled=str(exc)), status=429
            )
            response["Retry-After"] = str(exc.retry_after)
            return response
        form = self.get_form()
        if form.is_valid():
            login_throttle.sign_in_succeeded(reservation)
            return self.form_valid(form)
        return self.form_invalid(form)
