"""``--convert-uploads chat``: prompt/completion uploads become chat files; nothing is lost."""

from __future__ import annotations

import json

import httpx

from migrator.shim.uploads import build_multipart, parse_multipart

from .test_old_clients import run_script

PROMPTS = b"".join(b'{"prompt":"Review: item %d is great\\n\\n###\\n\\n","completion":" positive END"}\n' % i
                   for i in range(3))
CHAT = b"".join(b'{"messages":[{"role":"user","content":"Review: item %d is great"},'
                b'{"role":"assistant","content":"positive"}]}\n' % i for i in range(3))
AUTH = {"Authorization": "Bearer sk-test"}


def upload(url: str, data: bytes, purpose: str = "fine-tune") -> httpx.Response:
    return httpx.post(url + "/v1/files", files={"file": ("train.jsonl", data, "application/octet-stream")},
                      data={"purpose": purpose}, headers=AUTH, timeout=10)


def test_prompt_completion_upload_is_converted(today, shim_at):
    url = shim_at(today.url, convert_uploads="chat")
    r = upload(url, PROMPTS)
    assert r.status_code == 200
    assert r.headers["warning"] == '299 ft-migrate-shim "train.jsonl converted to chat format (3 examples)"'
    sent = today.requests[0].multipart
    assert sent["file"].data == CHAT
    assert (sent["file"].filename, sent["purpose"].data) == ("train.jsonl", b"fine-tune")
    assert r.json()["bytes"] == len(CHAT)


def test_chat_files_other_purposes_and_no_conversion_go_up_unchanged(today, shim_at):
    converting = shim_at(today.url, convert_uploads="chat")
    plain = shim_at(today.url)
    for url, data, purpose in ((converting, CHAT, "fine-tune"), (converting, PROMPTS, "assistants"),
                               (plain, PROMPTS, "fine-tune")):
        today.clear()
        assert upload(url, data, purpose).status_code == 200
        assert today.requests[0].multipart["file"].data == data


def test_lines_that_cannot_be_converted_refuse_the_upload(today, shim_at):
    url = shim_at(today.url, convert_uploads="chat")
    r = upload(url, PROMPTS + b"not json\n")
    assert r.status_code == 400
    assert r.json() == {"error": {
        "message": "1 line(s) of train.jsonl cannot be converted to chat format, so nothing was uploaded: "
                   "train.jsonl:4: invalid_json: invalid literal, expected 'null' (column 1)",
        "type": "invalid_request_error", "param": "file", "code": None}}
    assert today.requests == []


def test_multipart_round_trip():
    ctype, body = build_multipart(parse_multipart(
        "multipart/form-data; boundary=xx",
        b'--xx\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a \\"b\\".jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n{}\r\n\r\n--xx--\r\n"))
    parts = parse_multipart(ctype, body)
    assert [(p.name, p.filename, p.content_type, p.data) for p in parts] == [
        ("purpose", None, None, b"fine-tune"), ("file", 'a "b".jsonl', "application/octet-stream", b"{}\r\n")]


def test_v0_sdk_upload_then_fine_tune_on_gpt35(v0_venvs, today, shim_at):
    """The whole story for a user mapping curie to gpt-3.5-turbo: old code, chat data upstream."""
    url = shim_at(today.url, convert_uploads="chat", model_map={"curie": "gpt-3.5-turbo"})
    out = run_script(v0_venvs["0.27.10"], """
        import io, json, openai
        f = openai.File.create(file=io.BytesIO(%r), purpose="fine-tune")
        ft = openai.FineTune.create(training_file=f.id, model="curie")
        print(json.dumps([f.bytes, ft.model, ft.status]))
    """ % PROMPTS, {"OPENAI_API_KEY": "sk-test", "OPENAI_API_BASE": url + "/v1"})
    assert out == [len(CHAT), "gpt-3.5-turbo-0613", "pending"]
    assert today.requests[0].multipart["file"].data == CHAT
    assert json.loads(today.requests[1].body) == {"training_file": "file-000001", "model": "gpt-3.5-turbo",
                                                  "hyperparameters": {"n_epochs": 4}}
