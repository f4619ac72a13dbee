"""A legacy script on the v1 client (openai 1.3.0) that follows a fine-tune's event stream."""
import sys

from openai import OpenAI

client = OpenAI(api_key="sk-test", base_url=sys.argv[1], max_retries=0)

job = client.fine_tunes.create(training_file="file-000001", model="curie")
for event in client.fine_tunes.list_events(job.id, stream=True):
    print("event", event.message)
print("status", client.fine_tunes.retrieve(job.id).status)
