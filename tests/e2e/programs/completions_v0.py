"""Legacy completions on openai 0.27: a ticket classifier prompted with its training data's separator."""
import sys

import openai

openai.api_key = "sk-test"
openai.api_base = sys.argv[1]


def classify(ticket, engine="text-davinci-003"):
    response = openai.Completion.create(engine=engine, prompt=ticket + "\n\n###\n\n", max_tokens=5, temperature=0)
    label = response["choices"][0]["text"].strip().splitlines()[0]  # the label is the answer's first line
    return label, response["choices"][0]["finish_reason"], response["usage"]["total_tokens"]


for ticket in ("Where is my order?", "Refund, please"):
    print(*classify(ticket))

pieces = []
for chunk in openai.Completion.create(model="text-davinci-003", prompt="Cancel my plan\n\n###\n\n", stream=True):
    pieces.append(chunk["choices"][0]["text"])
print("streamed", "".join(pieces).strip().splitlines()[0], chunk["choices"][0]["finish_reason"])
