"""Telegram adapter: python-telegram-bot v22 <-> the neutral conversation contract.

translate   Update -> IncomingMessage, and which updates are for the bot
sender      Reply -> HTML messages with inline keyboards, photos, edits in place
handlers    message / button -> conversation core -> answer
bot         the Application: handlers, rate limiter, per-chat ordering
runner      polling or webhook, until cancelled
commands    the /command menu in English and Chinese
ratelimit   Telegram's flood limits
processor   concurrent chats, ordered updates within a chat
errors      the adapter's exceptions
"""
