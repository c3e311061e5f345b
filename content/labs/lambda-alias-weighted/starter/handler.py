import os


def handler(event, context):
    return {
        # TODO: read the greeting from its environment variable too.
        "greeting": "TODO",
        "stage": os.environ.get("STAGE", "unknown"),
        "version": context.function_version,
    }
