"""The DingTalk (钉钉) adapter: stream mode in, OpenAPI and session webhooks out."""
PLATFORM = "dingtalk"
