from qa.grounding import holds_facts, key_facts


def test_key_facts_are_the_names_and_numbers_the_question_lacks():
    facts = key_facts("The U.S. put a 50% tariff on Lesotho.", "Which African country got the toughest US tariff?")
    assert facts.names == {"lesotho"}
    assert facts.numbers == {"50"}


def test_sentence_openers_and_stopwords_are_not_names():
    assert not key_facts("However, the talks ended.", "")
    assert not key_facts("The talks ended.", "")


def test_number_words_and_digits_agree():
    facts = key_facts("Three people were arrested.", "How many were arrested?")
    assert facts.numbers == {"3"} and not facts.names
    assert holds_facts(facts, "Police arrested 3 men.")
    assert holds_facts(key_facts("It cost 1,200 dollars.", ""), "The bill came to 1200 dollars.")
    assert not holds_facts(key_facts("It cost 1,300 dollars.", ""), "The bill came to 1200 dollars.")


def test_an_acronym_matches_the_words_it_stands_for():
    assert holds_facts(key_facts("The WTO ruled against it.", ""), "The World Trade Organization ruled.")
    assert holds_facts(key_facts("The BoE cut rates.", ""), "The Bank of England cut rates.")
    assert holds_facts(key_facts("The U.S. objected.", ""), "The US objected.")
    assert not holds_facts(key_facts("The IMF objected.", ""), "The World Bank objected.")


def test_a_missing_name_fails():
    facts = key_facts("The winner was Jane Doe.", "Who won?")
    assert holds_facts(facts, "Jane Doe, 34, won the race.")
    assert not holds_facts(facts, "Jane Smith won the race.")
