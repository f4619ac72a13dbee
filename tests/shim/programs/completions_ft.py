"""A legacy ticket classifier on a fine-tuned curie model (openai 0.27), prompted with its
training data's separator: whole answers, then a streamed one."""
import sys

import openai

openai.api_key = "sk-test"
openai.api_base = sys.argv[1]
MODEL = "curie:ft-acmeco-2021-03-03-21-44-20"


def classify(ticket):
    response = openai.Completion.create(model=MODEL, prompt=ticket + "\n\n###\n\n", max_tokens=5, temperature=0,
                                        stop=[" END"])
    choice = response["choices"][0]
    label = choice["text"].strip().splitlines()[0]  # the label is the answer's first line
    return label, choice["finish_reason"], response["usage"]["total_tokens"]


for ticket in ("Where is my order?", "Refund, please"):
    print(*classify(ticket))

pieces = []
for chunk in openai.Completion.create(model=MODEL, prompt="Cancel my plan\n\n###\n\n", max_tokens=5, stream=True):
    pieces.append(chunk.choices[0].text)
print("streamed", "".join(pieces).strip().splitlines()[0], chunk.choices[0].finish_reason)
