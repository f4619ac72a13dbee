"""A legacy create whose arguments are built with dict(...) and .update() (openai 0.27)."""
import sys

import openai

openai.api_key = "sk-test"
openai.api_base = sys.argv[1]


def start(training_file, epochs):
    params = dict(training_file=training_file, model="curie", prompt_loss_weight=0.05)
    params.update(n_epochs=epochs, suffix="nightly")
    params.update({"batch_size": 4})
    return openai.FineTune.create(**params)


job_id = start("file-000001", 2)["id"]
job = openai.FineTune.retrieve(job_id)
while job["status"] in ("pending", "running"):
    job = openai.FineTune.retrieve(job_id)
print("status", job["status"])
print("epochs", job["hyperparams"]["n_epochs"], "batch", job["hyperparams"]["batch_size"])
