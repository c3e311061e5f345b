import os

ALLOWED_DOMAIN = os.environ["ALLOWED_DOMAIN"]


def handler(event, context):
    email = event["request"]["userAttributes"].get("email", "")
    # Compare the whole domain: "notpartner.example" must not pass.
    domain = email.rpartition("@")[2].lower()
    if domain != ALLOWED_DOMAIN:
        raise Exception(f"Only {ALLOWED_DOMAIN} addresses may sign up")
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event
