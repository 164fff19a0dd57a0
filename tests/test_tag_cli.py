"""`kb tag` through click's CliRunner (the whole tagger, JSON lines in and out)."""
import json

from click.testing import CliRunner

from kb.cli import cli
from kb.tagging import tag_jsonl


def run(stdin: str, *args):
    return CliRunner().invoke(cli, ["tag", *args], input=stdin)


def test_one_line_out_per_line_in_same_order_ids_echoed():
    lines = [
        {"id": "a", "text": "Опека устанавливается над детьми, не достигшими четырнадцати лет."},
        {"id": 7, "text": "Парламент принимает законы.", "lang": "ru"},
        {"id": "k", "text": "Балабақшаға балаларды қабылдау.", "lang": "kk"},
        {"id": "e", "text": "Bullying of a child under the age of 14 is prohibited.", "lang": "en"},
        {"id": "z", "text": "Травля (буллинг) ребенка", "lang": "ru"},
    ]
    result = run("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "--batch-size", "2")
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", 7, "k", "e", "z"]
    assert out[0]["dimensions"][0]["code"] == "FAM" and out[0]["age_max_months"] == 167
    assert out[1]["dimensions"] == [] and out[1]["age_groups"] == []
    assert out[2]["dimensions"][0]["code"] == "ECD"
    assert out[3]["dimensions"][0]["code"] == "PRO" and out[3]["age_max_months"] == 167
    assert out[4]["dimensions"][0]["code"] == "PRO"
    assert list(out[0]) == ["id", "dimensions", "flags", "age_min_months", "age_max_months",
                            "age_groups", "age_evidence"]


def test_file_argument(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "x", "text": "Многодетным семьям выплачивается пособие."}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", str(p)])
    assert result.exit_code == 0
    assert json.loads(result.output)["flags"] == ["large_family"]


def test_malformed_line_is_a_clear_error_naming_the_line():
    result = run('{"id": 1, "text": "Дети"}\n{"id": 2, "text": \n')
    assert result.exit_code != 0
    assert "line 2" in result.output and "not valid JSON" in result.output


def test_blank_line_missing_text_and_bad_lang_are_errors():
    for stdin, msg in [('{"id": 1, "text": "a"}\n\n', "line 2: blank line"),
                       ('{"id": 1}\n', 'line 1: "text" must be a string'),
                       ('{"text": "a"}\n', 'line 1: missing "id"'),
                       ('{"id": 1, "text": "a", "lang": "de"}\n', "unsupported lang 'de'")]:
        result = run(stdin)
        assert result.exit_code != 0 and msg in result.output, (stdin, result.output)


def test_tag_jsonl_streams(tmp_path):
    # a generator input: nothing is read ahead beyond one batch
    read = []

    def lines():
        for i in range(5):
            read.append(i)
            yield json.dumps({"id": i, "text": "Ребенок"}) + "\n"

    class Out:
        def __init__(self):
            self.lines = []

        def write(self, s):
            self.lines.append((len(read), s))

        def flush(self):
            pass

    out = Out()
    assert tag_jsonl(lines(), out, batch_size=2) == 5
    assert [n for n, _ in out.lines] == [2, 2, 4, 4, 5]
