"""Checks for the weighted alias lab."""

import json

from labs.sandbox.checker import check

FUNCTION = "greeter"
ALIAS = "live"
GREETINGS = {"1": "Hello", "2": "Howdy"}
ALIAS_CALLS = 40


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _env(config: dict) -> dict:
    return (config.get("Environment") or {}).get("Variables") or {}


def _call(ctx, qualifier: str) -> dict:
    outcome = ctx.invoke(FUNCTION, b"{}", qualifier=qualifier)
    ctx.require(
        outcome.function_error is None,
        f"Invoking {FUNCTION}:{qualifier} failed: {outcome.payload.decode(errors='replace')[:300]}",
    )
    return json.loads(outcome.payload)


@check(
    "greeter is configured with environment variables",
    points=1,
    hint="Create the function with `Environment={'Variables': {...}}` holding STAGE and GREETING.",
)
def environment(ctx):
    config = ctx.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    env = _env(config)
    ctx.require(env.get("STAGE") == "prod", f"STAGE is {env.get('STAGE')!r}, expected 'prod'.")
    ctx.require("GREETING" in env, "The function has no GREETING variable.")


@check(
    "Versions 1 and 2 froze their greetings",
    points=3,
    hint=(
        "Publish version 1 while GREETING is Hello, update the configuration to Howdy, wait "
        "for the update, then publish version 2."
    ),
)
def versions(ctx):
    lam = ctx.client("lambda")
    published = {
        v["Version"]: v
        for v in lam.list_versions_by_function(FunctionName=FUNCTION)["Versions"]
        if v["Version"] != "$LATEST"
    }
    ctx.require("1" in published, "Version 1 was never published.")
    earned, problems = 0, []
    for number, greeting in GREETINGS.items():
        if number not in published:
            problems.append(f"version {number} was never published")
            continue
        env = _env(published[number])
        if env.get("GREETING") == greeting and env.get("STAGE") == "prod":
            earned += 1 if number == "1" else 2
        elif env.get("GREETING") == greeting:
            problems.append(
                f"version {number} has no STAGE=prod: update_function_configuration replaces "
                "the whole Variables map, so send every variable again"
            )
        else:
            problems.append(
                f"version {number} has GREETING={env.get('GREETING')!r}, "
                f"STAGE={env.get('STAGE')!r} (expected {greeting!r}, 'prod')"
            )
    if problems:
        ctx.partial(earned, _sentence(problems))
    return "Version 1 says Hello and version 2 says Howdy."


@check(
    "Each version answers with its own greeting",
    points=2,
    after=["versions"],
    hint="The handler should return os.environ['GREETING'] and os.environ['STAGE'].",
)
def versions_answer(ctx):
    for number, greeting in GREETINGS.items():
        body = _call(ctx, number)
        ctx.require(
            body.get("greeting") == greeting and body.get("stage") == "prod",
            f"Version {number} answered {body!r}; expected greeting {greeting!r}, stage 'prod'.",
        )
    return "Invoked directly, version 1 said Hello and version 2 said Howdy."


@check(
    "live sends 10% of traffic to version 2",
    points=3,
    after=["versions"],
    hint=(
        "create_alias(..., FunctionVersion='1', "
        "RoutingConfig={'AdditionalVersionWeights': {'2': 0.1}})"
    ),
)
def alias_weights(ctx):
    alias = ctx.client("lambda").get_alias(FunctionName=FUNCTION, Name=ALIAS)
    primary = alias["FunctionVersion"]
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    ctx.require(primary != "$LATEST", "The alias points to $LATEST, which can change under it.")
    if primary == "2" and weights == {"1": 0.9}:
        ctx.partial(
            1,
            "The split is reversed: 90% of callers would get the new version on day one.",
        )
    ctx.require(weights, f"The alias sends all traffic to version {primary}; no split is set.")
    ctx.require(
        primary == "1" and weights == {"2": 0.1},
        f"The alias routes to version {primary} with extra weights {weights}; expected "
        "version 1 with {'2': 0.1}.",
    )
    return "live: 90% version 1, 10% version 2."


@check(
    "Calls through live reach version 1 or 2, mostly 1",
    points=2,
    after=["alias_weights", "versions_answer"],
    hint="Callers use the alias; about one call in ten should reach version 2.",
)
def alias_invocations(ctx):
    # Lambda draws a version for each call through a weighted alias. The sandbox's draws
    # are seeded afresh for the checks, so a submission is judged the same way every time;
    # with a 10% split, 40 calls all landing on version 1 would be a 1-in-68 chance.
    greetings = [_call(ctx, ALIAS).get("greeting") for _ in range(ALIAS_CALLS)]
    unexpected = sorted({g for g in greetings if g not in GREETINGS.values()}, key=str)
    ctx.require(not unexpected, f"The alias answered with {unexpected}.")
    hello, howdy = greetings.count("Hello"), greetings.count("Howdy")
    ctx.require(
        howdy > 0,
        f"All {ALIAS_CALLS} calls through live reached version 1; none tried version 2.",
    )
    ctx.require(
        hello > howdy,
        f"Only {hello} of {ALIAS_CALLS} calls through live reached version 1; the new "
        "version should get the small share.",
    )
    return f"{ALIAS_CALLS} calls through live: {hello} Hello, {howdy} Howdy."
