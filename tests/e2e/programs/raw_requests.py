"""Legacy fine-tunes driven over plain HTTP with requests, no SDK."""
import sys

import requests

BASE = sys.argv[1]
HEADERS = {"Authorization": "Bearer sk-test"}
DONE = ("succeeded", "failed", "cancelled")


def create(training_file):
    body = {"training_file": training_file, "model": "ada", "n_epochs": 3}
    body["compute_classification_metrics"] = False
    r = requests.post(f"{BASE}/fine-tunes", json=body, headers=HEADERS)
    r.raise_for_status()
    return r.json()["id"]


def get(job_id):
    r = requests.get(f"{BASE}/fine-tunes/{job_id}", headers=HEADERS)
    r.raise_for_status()
    return r.json()


job_id = create("file-000001")
job = get(job_id)
while job["status"] not in DONE:
    job = get(job_id)
print("status", job["status"])
print("epochs", job["hyperparams"]["n_epochs"], "trained on", job["training_files"][0]["id"])
print("listed", len(requests.get(BASE + "/fine-tunes", headers=HEADERS).json()["data"]))
second = requests.post(BASE + "/fine-tunes", headers=HEADERS,
                       json={"training_file": "file-000001", "learning_rate_multiplier": 0.2}).json()
cancelled = requests.post(f"{BASE}/fine-tunes/{second['id']}/cancel", headers=HEADERS).json()
print("cancelled", cancelled["status"])
