"""`endpoint-type`: edge-optimized, regional or private, from who calls the API.

Clients spread around the world, with no CDN of the team's own -> edge-optimized (AWS puts
a CloudFront distribution in front). Clients in the API's own Region, or a team that runs
its own CloudFront distribution -> regional. Callers only inside a VPC -> private.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from quizzes.generators.base import Facts, Family, Param, option, single_question

COMPANIES = [
    "Northwind",
    "Bluebird Health",
    "Larkspur Games",
    "Kestrel Freight",
    "Orchid Bank",
    "Tidewater Media",
    "Juniper Academy",
    "Copperleaf Retail",
]
PRODUCTS = ["recipe", "fitness", "language-learning", "ticketing", "banking", "travel", "news"]
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"]
SPREADS = [
    "North America, Europe and Southeast Asia",
    "Brazil, Japan and Germany",
    "Australia, India and Canada",
    "the United States, South Africa and Korea",
]
COUNTRIES = {
    "us-east-1": "the eastern United States",
    "eu-west-1": "Ireland",
    "eu-central-1": "Germany",
    "ap-southeast-2": "Australia",
    "ap-northeast-1": "Japan",
}

ANSWERS = ("edge", "regional", "private")
TEXTS = {
    "edge": "An edge-optimized endpoint",
    "regional": "A Regional endpoint",
    "private": "A private endpoint",
}


@dataclass(frozen=True)
class Scenario:
    answer: str
    stem: str
    why: dict[str, str]  # option -> explanation for this scenario
    difficulty: str


SCENARIOS = (
    Scenario(
        "edge",
        "{company} runs a mobile {product} app whose users are spread across {spread}. The "
        "API is deployed in {region}, and the team has no CDN of its own; users far from "
        "{region} complain about slow connections.",
        {
            "edge": "Edge-optimized APIs are reached through AWS's CloudFront points of presence, "
            "so distant users connect to a nearby edge location; AWS manages the distribution.",
            "regional": "A Regional endpoint is served from {region} only. Distant users would "
            "connect across the world unless the team added its own CloudFront, which it has not.",
            "private": "A private API is reachable only from inside a VPC; the app's users on "
            "the internet could not call it at all.",
        },
        "easy",
    ),
    Scenario(
        "edge",
        "{company} offers a public {product} API to partner companies on several continents "
        "({spread}). It is deployed in {region}. The team wants requests routed through the "
        "nearest AWS edge location without creating or managing a CloudFront distribution.",
        {
            "edge": "An edge-optimized endpoint comes with an AWS-managed CloudFront "
            "distribution, so partners everywhere enter AWS at a nearby edge location.",
            "regional": "Regional endpoints have no edge routing of their own; the team would "
            "have to create and manage a CloudFront distribution, which it wants to avoid.",
            "private": "Partners call over the internet; a private API is reachable only "
            "through an interface VPC endpoint inside a VPC.",
        },
        "easy",
    ),
    Scenario(
        "regional",
        "All of {company}'s API clients are back-end services running in {region}, the same "
        "Region where the {product} API is deployed. No browser or mobile client calls it, "
        "and the services reach it over the public API Gateway endpoint.",
        {
            "regional": "A Regional endpoint serves callers in the same Region directly, "
            "without the extra hop through CloudFront.",
            "edge": "Routing same-Region callers out to a CloudFront edge and back adds "
            "latency and buys nothing: no client is far away.",
            "private": "The services use the public endpoint, not an interface VPC endpoint; "
            "a private API would need VPC endpoints and a resource policy to be reachable.",
        },
        "medium",
    ),
    Scenario(
        "regional",
        "{company} already serves its {product} website through its own CloudFront "
        "distribution, with custom cache behaviours and AWS WAF rules. Its users are "
        "worldwide, and the team wants to put the API (deployed in {region}) behind that "
        "same distribution.",
        {
            "regional": "Behind your own CloudFront distribution, use a Regional endpoint: "
            "you keep control of caching and WAF, with a single CloudFront layer.",
            "edge": "An edge-optimized API already has an AWS-managed CloudFront "
            "distribution; putting the team's distribution in front would route requests "
            "through CloudFront twice and leave the inner one outside the team's control.",
            "private": "The website's users call the API from the internet; a private API "
            "is reachable only from inside a VPC.",
        },
        "hard",
    ),
    Scenario(
        "regional",
        "{company}'s {product} API is used only by customers in {country}, close to "
        "{region} where the API is deployed. Clients call it over the internet, and the "
        "team wants the lowest latency for them with the fewest moving parts.",
        {
            "regional": "Clients near the API's own Region get the shortest path from a "
            "Regional endpoint; an edge hop would only add distance.",
            "edge": "Edge-optimized endpoints help clients far from the API's Region; here "
            "every client is near {region}, so the CloudFront hop adds latency.",
            "private": "The customers call over the internet; a private API is reachable "
            "only from inside a VPC.",
        },
        "medium",
    ),
    Scenario(
        "private",
        "{company}'s internal {product} API must be reachable only from applications "
        "inside the company's VPCs, through an interface VPC endpoint for `execute-api`. "
        "Security requires that it is never reachable from the internet.",
        {
            "private": "Private endpoints are reachable only through an interface VPC "
            "endpoint, and a resource policy says which VPCs or endpoints may call them.",
            "edge": "Edge-optimized endpoints are public by design, reachable from anywhere "
            "on the internet.",
            "regional": "A Regional endpoint is public; it would be reachable from the "
            "internet, which security forbids.",
        },
        "easy",
    ),
    Scenario(
        "private",
        "{company}'s {product} microservices run on EC2 in private subnets in {region} with "
        "no internet access, and they are the only callers of a new API. The team wants the "
        "API to have no public endpoint at all.",
        {
            "private": "A private API is reached from the VPC through an interface VPC "
            "endpoint, so the services need no internet access and the API is not public.",
            "edge": "An edge-optimized API is public and reached through CloudFront, which "
            "these services without internet access cannot reach.",
            "regional": "A Regional endpoint is public; it would need internet access from "
            "the subnets and could be called from outside.",
        },
        "medium",
    ),
)

PARAMS = {"answer": Param("answer", "fix the correct endpoint type", choices=ANSWERS)}


def build(rng: random.Random, params: dict[str, Any], facts: Facts | None) -> dict[str, Any]:
    answer = params.get("answer", rng.choice(ANSWERS))
    scenario = rng.choice([s for s in SCENARIOS if s.answer == answer])
    region = rng.choice(REGIONS)
    values = {
        "company": rng.choice(COMPANIES),
        "product": rng.choice(PRODUCTS),
        "region": region,
        "spread": rng.choice(SPREADS),
        "country": COUNTRIES[region],
    }
    options = {
        name: option(TEXTS[name], name == answer, scenario.why[name].format(**values))
        for name in ANSWERS
    }
    return single_question(
        rng,
        stem=scenario.stem.format(**values) + "\n\nWhich API Gateway endpoint type fits best?",
        correct=options[answer],
        wrong=[options[name] for name in ANSWERS if name != answer],
        explanation=(
            "Edge-optimized suits clients spread around the world (AWS adds CloudFront); "
            "Regional suits clients in the same Region or a team with its own CloudFront; "
            "private suits callers inside a VPC only."
        ),
        difficulty=scenario.difficulty,
        lessons=["apigateway-endpoint-types"],
    )


FAMILY = Family(
    name="endpoint-type",
    title="API Gateway endpoint type from the client population",
    default_domain="endpoints",
    default_lessons=("apigateway-endpoint-types",),
    build=build,
    params_schema=PARAMS,
)
