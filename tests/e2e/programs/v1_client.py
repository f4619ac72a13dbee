"""A legacy fine-tuning script on the v1 client (openai 1.3.0): client.fine_tunes.*."""
import sys

from openai import OpenAI

client = OpenAI(api_key="sk-test", base_url=sys.argv[1], max_retries=0)


def wait(job_id):
    job = client.fine_tunes.retrieve(job_id)
    while job.status in ("pending", "running"):
        job = client.fine_tunes.retrieve(job_id)
    return job


job = client.fine_tunes.create(training_file="file-000001", model="curie", batch_size=4, prompt_loss_weight=0.1)
job = wait(job.id)
print("status", job.status)
print("batch", job.hyperparams.batch_size)
print("trained on", job.training_files[0].id)
for item in client.fine_tunes.list().data:
    print("listed", item.status)
second = client.fine_tunes.create(training_file="file-000001", model="ada")
print("cancelled", client.fine_tunes.cancel(second.id).status)
