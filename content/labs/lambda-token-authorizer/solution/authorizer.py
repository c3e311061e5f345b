import json
import os

TOKENS = json.loads(os.environ["TEAM_TOKENS"])
BLOCKED_TEAMS = {"interns"}


def _policy(effect, resource):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }


def handler(event, context):
    header = event.get("authorizationToken") or ""
    token = header[len("Bearer ") :] if header.startswith("Bearer ") else header
    team = TOKENS.get(token)
    if team is None:
        # This exact message is API Gateway's signal for 401 Unauthorized.
        raise Exception("Unauthorized")
    effect = "Deny" if team in BLOCKED_TEAMS else "Allow"
    return {
        "principalId": team,
        "policyDocument": _policy(effect, event["methodArn"]),
        "context": {"team": team},
    }
