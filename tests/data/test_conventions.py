from hypothesis import given, settings, strategies as st

from migrator.data.conventions import Ending, split_ending

CANDIDATES = ("", " ->", "\n\n###\n\n", "\n", ".", " END", "###\n\n", "x")
texts = st.lists(st.lists(st.sampled_from([" ->", "\n", "#", ".", " END", "x", "a", ""]), max_size=4).map("".join),
                 min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_ending_counts_like_checking_every_candidate(items):
    """The last-character shortcut in Ending.add counts exactly what the plain rule does."""
    ending = Ending(CANDIDATES)
    ends, first_without = [0] * len(CANDIDATES), [None] * len(CANDIDATES)
    for line, text in enumerate(items, 1):
        ending.add(line, text)
        for i, candidate in enumerate(CANDIDATES):
            if text.endswith(candidate):
                ends[i] += 1
            elif first_without[i] is None:
                first_without[i] = line
    assert (ending.ends, ending.first_without) == (ends, first_without)


def test_split_ending_takes_the_longest_candidate_the_text_ends_with():
    separators = (" ->", "\n\n###\n\n", "###\n\n")
    assert split_ending("Q: hi\n\n###\n\n", separators) == ("Q: hi", "\n\n###\n\n")
    assert split_ending("Q: hi ###\n\n", separators) == ("Q: hi ", "###\n\n")
    assert split_ending("Q: hi ->", separators) == ("Q: hi", " ->")
    assert split_ending("Q: hi", separators) == ("Q: hi", None)
    assert split_ending("Q: hi\n\n###\n\n", ()) == ("Q: hi\n\n###\n\n", None)
    assert split_ending("", separators) == ("", None)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_the_common_suffix_is_narrowed_by_split_ending(items):
    """``data check`` picks, of the prompts' common suffix, the ending split_ending finds in it."""
    ending = Ending(CANDIDATES)
    for line, text in enumerate(items, 1):
        ending.add(line, text)
    found = split_ending(ending.suffix or "", CANDIDATES)[1]
    if found is not None:
        assert ending.decide().ending == found
