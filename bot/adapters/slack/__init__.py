"""The Slack adapter: slash command, mentions, DMs, buttons, forms and App Home on slack-bolt.

Payloads become IncomingMessages (``translate``), the conversation core answers, and the
Replies go back as Block Kit (``posting``); the update form (``modals``) and the Home tab
(``home``) are built from the core's answers too. ``sender`` delivers alerts, ``runner``
receives over Socket Mode or HTTP. Nothing here scores, checks permissions or touches
the database: the core does.
"""
