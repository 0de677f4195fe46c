"""A real LibreTranslate client (libretranslatepy, from PyPI) against `passeur serve`.

Run by tests/serve_cli.rs:  python3 tests/serve_libretranslatepy.py URL KEY EXPECTED_JSON
EXPECTED_JSON maps each French text used here to the English passeur gives for it (computed
by the Rust test with the same model, outside the server).

libretranslatepy 2.1.4 sends every call as a URL-encoded form and cannot send an array (it would
send the text of Python's list); arrays are sent the two other ways LibreTranslate clients use:
a JSON body, and a form with `q` repeated.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from libretranslatepy import LibreTranslateAPI

url, key, expected_path = sys.argv[1], sys.argv[2], sys.argv[3]
with open(expected_path, encoding="utf-8") as f:
    expected = json.load(f)
checks = 0


def check(condition, message):
    global checks
    if not condition:
        raise AssertionError(message)
    checks += 1


lt = LibreTranslateAPI(url, api_key=key)

# Strings, as a form body.
for text in ["Bonjour le monde.", "Il y avait 5.000 personnes à Paris.\n\nDeuxième paragraphe."]:
    got = lt.translate(text, source="fr", target="en")
    check(got == expected[text], f"translate({text!r}) = {got!r}, expected {expected[text]!r}")
got = lt.translate("Bonjour le monde.", source="auto", target="en")
check(got == expected["Bonjour le monde."], f"source=auto: {got!r}")

# /languages and /detect.
languages = lt.languages()
check({"code": "fr", "name": "French", "targets": ["en"]} in languages, f"languages: {languages}")
detected = lt.detect("Le gouvernement a présenté son projet de loi de finances.")
check(detected[0]["language"] == "fr" and 0 <= detected[0]["confidence"] <= 100, f"detect: {detected}")


def post(data, content_type):
    request = urllib.request.Request(url + "/translate", data=data, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read().decode())


# Arrays: JSON, and a form with q repeated.
texts = ["Bonjour le monde.", "Merci beaucoup."]
answer = post(json.dumps({"q": texts, "source": "fr", "target": "en", "api_key": key}).encode(), "application/json")
check(answer["translatedText"] == [expected[t] for t in texts], f"JSON array: {answer}")
form = urllib.parse.urlencode({"q": texts, "source": "fr", "target": "en", "api_key": key}, doseq=True)
answer = post(form.encode(), "application/x-www-form-urlencoded")
check(answer["translatedText"] == [expected[t] for t in texts], f"form array: {answer}")

# Errors: the client raises on them, with LibreTranslate's JSON body.
for client, code, message in [
    (LibreTranslateAPI(url, api_key="not-a-key"), 403, "Invalid API key"),
    (lt, 400, "zz is not supported"),
]:
    try:
        client.translate("Bonjour.", source="fr", target="zz" if code == 400 else "en")
        check(False, f"expected HTTP {code}")
    except urllib.error.HTTPError as err:
        body = json.loads(err.read().decode())
        check(err.code == code and body == {"error": message}, f"{err.code} {body}")

print(f"libretranslatepy: {checks} checks passed")
