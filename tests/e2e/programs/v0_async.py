"""A legacy async fine-tuning script (openai 0.27): acreate, aretrieve, alist, acancel."""
import asyncio
import sys

import openai

openai.api_key = "sk-test"
openai.api_base = sys.argv[1]


async def wait(job_id):
    job = await openai.FineTune.aretrieve(id=job_id)
    while job["status"] in ("pending", "running"):
        job = await openai.FineTune.aretrieve(id=job_id)
    return job


async def main():
    job = await openai.FineTune.acreate(training_file="file-000001", model="babbage", batch_size=2,
                                        learning_rate_multiplier=0.1, compute_classification_metrics=True)
    job = await wait(job["id"])
    print("status", job["status"])
    print("batch", job["hyperparams"]["batch_size"])
    print("trained on", job["training_files"][0]["id"])
    listing = await openai.FineTune.alist()
    for item in listing["data"]:
        print("listed", item["status"])
    second = await openai.FineTune.acreate(training_file="file-000001")
    cancelled = await openai.FineTune.acancel(second["id"])
    print("cancelled", cancelled["status"])


asyncio.run(main())
