"""SlackSender: alerts as Block Kit to a person's DM or a channel, against FakeSlack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.client import web_client
from bot.adapters.slack.errors import InvalidRecipientError, SlackDeliveryError
from bot.adapters.slack.sender import SlackSender
from bot.conversation.messages import Image, Reply, Section
from bot.settings import Settings
from bot.testing.fake_slack import FakeSlack

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ALERT = Reply(title="Acme Corp moved B → A", sections=(Section(None, ("<!channel> *now*",)),),
              ephemeral=False)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def sender(slack: FakeSlack) -> SlackSender:
    """As the delivery worker builds it: with the retry handlers."""
    settings = Settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url)
    return SlackSender(web_client(settings))


@pytest.fixture
def bare_sender(slack: FakeSlack) -> SlackSender:
    """Without retry handlers, so the first failure surfaces at once."""
    return SlackSender(AsyncWebClient(token="xoxb-test", base_url=slack.api_url))


async def test_alert_to_a_person_goes_to_their_dm_and_returns_the_ts(
    slack: FakeSlack, sender: SlackSender
) -> None:
    ts = await sender.send("slack:U0ANN", ALERT)

    [posted] = slack.calls("chat.postMessage")
    assert posted.params["channel"] == "U0ANN"
    assert posted.params["blocks"][0]["text"]["text"] == "Acme Corp moved B → A"
    [message] = slack.posted_messages()
    assert message["ts"] == ts
    assert "<!channel>" not in str(posted.params["blocks"])


async def test_alert_to_a_channel(slack: FakeSlack, sender: SlackSender) -> None:
    ts = await sender.send("slack-channel:C0ALERTS", ALERT)

    assert [m["ts"] for m in slack.posted_messages("C0ALERTS")] == [ts]


@pytest.mark.parametrize("recipient", ["telegram:42", "slack:", "slack-channel:#sales", "U0ANN"])
async def test_malformed_recipient_is_a_permanent_error(
    slack: FakeSlack, sender: SlackSender, recipient: str
) -> None:
    with pytest.raises(InvalidRecipientError) as failed:
        await sender.send(recipient, ALERT)

    assert not failed.value.retryable
    assert slack.calls() == []


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "user_not_found"])
async def test_unknown_or_closed_destination_is_permanent(
    slack: FakeSlack, sender: SlackSender, error: str
) -> None:
    slack.fail_next("chat.postMessage", 200, error=error)

    with pytest.raises(SlackDeliveryError) as failed:
        await sender.send("slack-channel:C0GONE", ALERT)

    assert (failed.value.reason, failed.value.retryable) == (error, False)


async def test_rate_limit_is_retryable_after_slacks_retry_after(
    slack: FakeSlack, bare_sender: SlackSender
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=30)

    with pytest.raises(SlackDeliveryError) as failed:
        await bare_sender.send("slack:U0ANN", ALERT)

    assert (failed.value.reason, failed.value.retryable) == ("ratelimited", True)
    assert failed.value.retry_after == 30


async def test_server_error_is_retryable(slack: FakeSlack, bare_sender: SlackSender) -> None:
    slack.fail_next("chat.postMessage", status=503)

    with pytest.raises(SlackDeliveryError) as failed:
        await bare_sender.send("slack:U0ANN", ALERT)

    assert failed.value.retryable
    assert failed.value.retry_after is None


async def test_one_rate_limit_is_absorbed_by_the_client(
    slack: FakeSlack, sender: SlackSender
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=0)

    ts = await sender.send("slack:U0ANN", ALERT)

    assert len(slack.calls("chat.postMessage")) == 2
    assert [m["ts"] for m in slack.posted_messages()] == [ts]


async def test_png_upload_to_a_person_uses_their_dm_channel(
    slack: FakeSlack, sender: SlackSender
) -> None:
    file_id = await sender.upload_png("slack:U0ANN", PNG, "Tier mix")

    assert slack.uploads[file_id] == PNG
    [opened] = slack.calls("conversations.open")
    [completed] = slack.calls("files.completeUploadExternal")
    assert completed.params["channel_id"].startswith("D")
    assert completed.params["files"][0]["title"] == "Tier mix"
    assert opened.params["users"] == "U0ANN"


async def test_reply_with_an_image_posts_then_uploads(
    slack: FakeSlack, sender: SlackSender
) -> None:
    reply = Reply(title="Weekly digest", image=Image(PNG, "Tier mix", "mix.png"))

    await sender.send("slack-channel:C0ALERTS", reply)

    assert slack.methods() == ["chat.postMessage", "files.getUploadURLExternal", "file_upload",
                               "files.completeUploadExternal"]
    assert list(slack.uploads.values()) == [PNG]
