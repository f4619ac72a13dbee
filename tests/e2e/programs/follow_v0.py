"""A legacy script that starts a fine-tune and follows its events to the end (openai 0.27)."""
import sys

import openai

openai.api_key = "sk-test"
openai.api_base = sys.argv[1]

job = openai.FineTune.create(training_file="file-000001", model="curie")
for event in openai.FineTune.stream_events(job["id"]):
    print("event", event["message"])
print("first", openai.FineTune.list_events(job["id"])["data"][0]["message"])
print("status", openai.FineTune.retrieve(job["id"])["status"])
