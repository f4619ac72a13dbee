"""Legacy completions on the v1 client (openai 1.3.0): answers read from each choice."""
import sys

from openai import OpenAI

client = OpenAI(api_key="sk-test", base_url=sys.argv[1], max_retries=0)


def answer(question):
    reply = client.completions.create(model="text-davinci-003", prompt=f"Question: {question}\n\n###\n\n", max_tokens=16)
    return [choice.text.strip().splitlines()[0] for choice in reply.choices]


print(answer("2 + 2"))

stream = client.completions.create(model="text-davinci-003", prompt="Cancel my plan\n\n###\n\n", stream=True)
pieces = [chunk.choices[0].text for chunk in stream]
print("streamed", "".join(pieces).strip().splitlines()[0])
