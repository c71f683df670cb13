"""Presentation: a handler's `Message` described once as a neutral card, rendered per platform.

`cards.model.card_for(message)` turns a message into a `Card` through the Jinja2 template of
its kind (`cards/templates/<kind>.j2`); `cards.feishu`, `cards.dingtalk` and `cards.html`
render that card for Feishu (card JSON 2.0), DingTalk (template variables or markdown with
text commands) and the local web emulator.
"""
