"""A legacy fine-tuning script (openai 0.27): train, poll, report, list, cancel, complete."""
import sys

import openai
from openai import FineTune as FT

openai.api_key = "sk-test"
openai.api_base = sys.argv[1]

BASE_MODEL = "curie"
TRAIN = "file-000001"


def start():
    job = openai.FineTune.create(
        training_file=TRAIN,
        model=BASE_MODEL,
        n_epochs=2,  # small data set
        prompt_loss_weight=0.1,
    )
    return job["id"]


def wait(job_id):
    job = FT.retrieve(id=job_id)
    while job["status"] in ("pending", "running"):
        job = FT.retrieve(id=job_id)
    return job


job = wait(start())
print("status", job["status"])
print("epochs", job["hyperparams"]["n_epochs"])
print("trained on", job["training_files"][0]["id"])
print("results", len(job["result_files"]), job["result_files"][0]["id"].startswith("file-"))
for item in openai.FineTune.list()["data"]:
    print("listed", item["status"])
second = openai.FineTune.create(training_file=TRAIN, model="ada")
print("cancelled", openai.FineTune.cancel(second["id"])["status"])
reply = openai.Completion.create(engine="text-davinci-003", prompt="hi", max_tokens=5)
print(reply["choices"][0]["text"])
