import os

ALLOWED_DOMAIN = os.environ["ALLOWED_DOMAIN"]


def handler(event, context):
    email = event["request"]["userAttributes"].get("email", "")
    # TODO: refuse addresses outside ALLOWED_DOMAIN (raise an exception with a clear
    # message) and auto-confirm + auto-verify the others.
    print(f"sign-up attempt from {email}")
    return event
