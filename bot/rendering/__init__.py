"""Turning a :class:`~bot.conversation.messages.Reply` into each platform's format.

* :mod:`bot.rendering.plain` - console text and numbered choices for the buttons;
* :mod:`bot.rendering.telegram_html` - Telegram HTML messages and inline keyboards;
* :mod:`bot.rendering.slack_blocks` - Slack Block Kit blocks and fallback text;
* :mod:`bot.rendering.escaping` - how each format keeps user data literal.

Texts in a Reply are translated plain text; renderers escape every one of them
and add the only markup. The three formats share the layout: title, fields
(label/value pairs), sections (a titled section is a bulleted list, an untitled
one is running text), buttons, footer. Renderers are pure functions with no
platform SDK calls, so adapters stay thin and rendering is testable offline.
"""
