"""A legacy fine-tuning client hidden in a class (openai 0.27), the way services wrap the SDK."""
import sys

import openai

openai.api_key = "sk-test"
openai.api_base = sys.argv[1]


class FineTuner:
    """Starts one job and follows it until it ends."""

    def __init__(self, base_model="ada", epochs=1):
        self.base_model = base_model
        self.epochs = epochs
        self.job_id = None

    def start(self, training_file):
        job = openai.FineTune.create(training_file=training_file, model=self.base_model, n_epochs=self.epochs)
        self.job_id = job["id"]
        return job

    def poll(self):
        job = openai.FineTune.retrieve(self.job_id)
        return job

    def wait(self):
        job = self.poll()
        while job["status"] == "pending" or job["status"] == "running":
            job = self.poll()
        return job


tuner = FineTuner(epochs=3)
tuner.start("file-000001")
done = tuner.wait()
print("status", done["status"])
print("epochs", done["hyperparams"]["n_epochs"])
print("trained on", done["training_files"][0]["id"])
print("results", [f["id"].startswith("file-") for f in done["result_files"]])
