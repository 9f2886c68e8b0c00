"""The procedure knowledge base: what the five source documents say about each approach and condition.

The catalogue lives in data/ as plain CSV files, read by one function, `load_knowledge`:

- data/sources.csv — the documents (source_id is the file stem; users only ever see the title).
- data/knowledge/approaches.csv — one row per approach (scope "approach": the four the app
  analyses) and one for "Minimally invasive surgery in general" (scope "general": statements a
  document makes of minimally invasive surgery without naming a technique, filed under no approach).
- data/knowledge/categories.csv — how each document's own category was mapped onto those rows.
- data/knowledge/facts.csv — long table (approach, attribute, value, source_id); an attribute can
  have several facts from several documents, and is exactly "Not stated in sources" where the
  documents say nothing.
- data/knowledge/conditions.csv — a plain-language description of each condition and its sources.
- data/knowledge/indications.csv — the condition × approach matrix: the kind of evidence the
  documents give (`evidence`), the answer it leads to ("treats", "investigates" or "not stated in
  sources"; the same kind of evidence always gives the same answer, see EVIDENCE), a short why,
  the source.
- data/knowledge/techniques.csv — how the operation was done (uniportal full-endoscopic, biportal
  endoscopic, microendoscopic, tubular microscopic…): the approach it is filed under and how the
  surgeon sees (naked eye, loupes, microscope, endoscope). An approach named here but absent from
  approaches.csv (biportal endoscopic) is one the source documents do not describe.
- data/knowledge/procedures.csv — what was done (discectomy, decompression, fusion, TLIF…).
- data/knowledge/aliases.csv — names registries and clinics use (PTED, LDH, UBE, TLIF…) → a canonical
  condition, approach, technique or procedure, or "ambiguous" with the candidates to ask about
  (MIS, endoscopic, sciatica…): an import must ask rather than file an umbrella term silently. Also
  the import's value words (VALUE_KINDS: sex, yes/no, satisfied, satisfaction, time point, measure,
  complication: the words naming one complication, as a flag column's header or a cell)
  in Norwegian, Swedish and German. Every row's `source` is a seed document's id or "SpineDash
  vocabulary…": every translation is ours, never a fact from the documents.

The Open/Microscopic boundary (and the approach rule in general): the approach follows how the
operation was done, checked in this order: an endoscope with its own working channel through one
portal is Full-endoscopic; two portals is biportal endoscopic (not described in the documents); a
tubular retractor is Tubular MIS whatever the scope; a microscope without a tube is Microscopic, even
when the registry calls the access "open" (open microdiscectomy); naked eye or loupes is Open.

Everything is paraphrased from the documents; nothing here is medical advice. No streamlit import.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

NOT_STATED = "Not stated in sources"
STATUS_TREATS = "treats"
STATUS_INVESTIGATES = "investigates"  # diagnostic use: the document says it is used to find the cause
STATUS_NOT_STATED = "not stated in sources"
STATUSES = (STATUS_TREATS, STATUS_INVESTIGATES, STATUS_NOT_STATED)
# The kind of evidence a document gives for a condition × approach cell → the one answer it allows.
# A procedure named without the condition ("decompression" but not "nerve root compression") is
# not a claim that the approach treats the condition.
EVIDENCE: dict[str, str] = {
    "named as treated": STATUS_TREATS,
    "named as the traditional operation": STATUS_TREATS,
    "named as investigated": STATUS_INVESTIGATES,
    "procedure named, condition not": STATUS_NOT_STATED,
    "general statement only": STATUS_NOT_STATED,
    "mentioned only as a complication": STATUS_NOT_STATED,
    "comparison only": STATUS_NOT_STATED,
    "not mentioned": STATUS_NOT_STATED,
}
# approaches.csv scopes: the four approaches, and minimally invasive surgery with no technique named.
SCOPE_APPROACH = "approach"
SCOPE_GENERAL = "general"
GENERAL = "Minimally invasive surgery in general"
KINDS = ("approach", "condition", "technique", "procedure")
# Value words in aliases.csv beside the four kinds: what an import reads a cell of a sex, yes/no,
# "satisfied?", satisfaction-rating or time-point column as, in the languages exports arrive in.
# Kind -> the canonical values allowed (None: a time point id, checked against data/timepoints.csv by
# the tests; "measure": a measure id, checked against data/measures.csv by the tests: header words).
# Satisfaction is SpineDash's 1 (worst) … 5 (best) rating.
VALUE_KINDS: dict[str, tuple[str, ...] | None] = {
    "sex": ("female", "male", "other"),
    "yes/no": ("yes", "no"),
    "satisfied": ("yes", "no"),
    "satisfaction": ("1", "2", "3", "4", "5"),
    "timepoint": None,
    "measure": None,
    # Words that name one complication: a yes/no flag column's header ("Dauralaesion", "Durarift") or a cell.
    "complication": ("dural tear", "nerve root injury", "infection", "haematoma"),
}
# A word that leads a condition and says where in the spine it is ("Cervical disc herniation"), in
# English, Norwegian, Swedish and German (SpineDash's own vocabulary) -> the region column's value.
REGION_WORDS: dict[str, str] = {
    **dict.fromkeys(("cervical", "cervikal", "cervikalt", "cervikale", "zervikal", "zervikale", "zervikaler"), "cervical"),
    **dict.fromkeys(("thoracic", "thorakal", "torakal", "torakalt", "thorakale", "thorakaler"), "thoracic"),
    **dict.fromkeys(("lumbar", "lumbal", "lumbalt", "lumbale", "lumbaler"), "lumbar"),
}
# aliases.csv `source`: a seed document's source_id, or SpineDash's own vocabulary (English
# registry terms, and every translation), which is never a fact from the source documents.
OWN_VOCABULARY = "SpineDash vocabulary"
# aliases.csv: an umbrella term's canonical cell; its `candidates` cell lists what to ask about.
AMBIGUOUS = "ambiguous"
# What the page and the import say of an approach or technique the documents do not describe.
NOT_DESCRIBED = "not described in the source documents"
VISUALISATIONS = ("naked eye", "loupes", "microscope", "endoscope")

# Attribute key (as stored in facts.csv) → the label an administrator reads, in display order.
ATTRIBUTES: dict[str, str] = {
    "aim": "What it aims at",
    "visualisation": "How the surgeon sees the anatomy",
    "anesthesia": "Anaesthesia",
    "incision": "Incision",
    "duration": "Typical duration",
    "hospital_stay": "Hospital stay",
    "recovery": "Recovery",
    "tissue": "Muscle and tissue",
    "benefits": "Benefits",
    "risks": "Risks",
    "patient_selection": "Patient selection",
    "techniques": "Techniques",
    "conditions_treated": "Conditions treated",
}
# The rows of the side-by-side comparison: what an administrator weighs first.
COMPARE_ATTRIBUTES: tuple[str, ...] = (
    "aim", "visualisation", "anesthesia", "incision", "duration", "hospital_stay", "recovery", "tissue", "benefits",
    "risks", "patient_selection",
)

# File name (relative to the data directory) → the columns it must have.
FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sources": ("sources.csv", ("source_id", "title", "title_assigned", "file_name")),
    "approaches": ("knowledge/approaches.csv", ("approach", "scope", "full_name", "family", "minimally_invasive",
                                                "summary", "source_ids")),
    "categories": ("knowledge/categories.csv", ("category", "filed_under", "source_ids", "why")),
    "facts": ("knowledge/facts.csv", ("approach", "attribute", "value", "source_id")),
    "conditions": ("knowledge/conditions.csv", ("condition", "description", "source_ids")),
    "indications": ("knowledge/indications.csv", ("condition", "approach", "evidence", "status", "why", "source_id")),
    "techniques": ("knowledge/techniques.csv", ("technique", "approach", "visualisation", "source_ids", "note")),
    "procedures": ("knowledge/procedures.csv", ("procedure", "group", "source_ids", "note")),
    "aliases": ("knowledge/aliases.csv", ("kind", "alias", "canonical", "candidates", "note", "source")),
}
# Columns that may be blank: source ids (nothing to cite), an alias's candidates and notes, and a
# technique's approach when the technique is only how the surgeon sees (a microscope, with or without a tube).
_OPTIONAL = {"source_id", "source_ids", "candidates", "note"}
_OPTIONAL_IN = {"techniques": {"approach"}}

_NON_ALNUM = re.compile(r"[\W_]+")
_NUMBER_UNIT = re.compile(r"(?<=\d) (?=[a-z])")
_BOOLS = {"true": True, "false": False}


class KnowledgeError(ValueError):
    """The knowledge catalogue is missing a file or contradicts itself; the message names the file."""


def normalise_label(text: str) -> str:
    """Casefold, strip and collapse each run of non-alphanumerics to one space ("FULL_ENDOSCOPIC" → "full endoscopic")."""
    return _NON_ALNUM.sub(" ", str(text).casefold()).strip()


def _search_tokens(text: str) -> tuple[list[str], set[str]]:
    """(query words, token set) for search: a number glued to its unit too, so "4 mm" and "4mm" agree."""
    plain = normalise_label(text)
    glued = _NUMBER_UNIT.sub("", plain)
    return glued.split(), set(plain.split()) | set(glued.split())


def _split_ids(cell: str) -> list[str]:
    return [part.strip() for part in str(cell).split(";") if part.strip()]


@dataclass(frozen=True)
class Term:
    """What one raw word from a registry file stands for (see `Knowledge.resolve_term`).

    status: "known" (value is set), "ambiguous" (ask: candidates), or "unknown".
    kind: the kind the word was found as ("approach", "condition", "technique", "procedure"), or None.
    value: the canonical value of that kind when known.
    candidates: when ambiguous, the values of `kind` to ask about, in the catalogue's order.
    approach: the approach to store in the approach column: the word's own approach, or a
        technique's approach family; None when the word implies none or is ambiguous.
    approach_candidates: when ambiguous, the approaches the candidates would file under.
    described: whether the source documents describe `approach` (False for biportal endoscopic);
        None when there is no approach.
    visualisation: for a technique, how the surgeon sees (naked eye, loupes, microscope, endoscope).
    note: why (an umbrella term, a symptom, a name with two meanings…), in the user's words.
    """

    raw: str
    status: str
    kind: str | None = None
    value: str | None = None
    candidates: tuple[str, ...] = ()
    approach: str | None = None
    approach_candidates: tuple[str, ...] = ()
    described: bool | None = None
    visualisation: str | None = None
    note: str = ""
    region: str | None = None  # a condition word that names the region ("Cervical disc herniation")

    @property
    def known(self) -> bool:
        return self.status == "known"

    @property
    def ambiguous(self) -> bool:
        return self.status == "ambiguous"


@dataclass(frozen=True, eq=False)
class Knowledge:
    """The loaded catalogue. Shared between sessions by the cache: treat the frames as read-only."""

    sources: pd.DataFrame
    approaches: pd.DataFrame
    categories: pd.DataFrame
    facts: pd.DataFrame
    conditions: pd.DataFrame
    indications: pd.DataFrame
    techniques: pd.DataFrame
    procedures: pd.DataFrame
    aliases: pd.DataFrame

    # --- names -------------------------------------------------------------------------------

    @property
    def approach_names(self) -> list[str]:
        """The four approaches the source documents describe, in display order."""
        return self.approaches.loc[self.approaches["scope"] == SCOPE_APPROACH, "approach"].tolist()

    @property
    def general_names(self) -> list[str]:
        """Rows for statements filed under no approach (minimally invasive surgery in general)."""
        return self.approaches.loc[self.approaches["scope"] == SCOPE_GENERAL, "approach"].tolist()

    @property
    def subject_names(self) -> list[str]:
        """Everything facts and indications are filed under: the four approaches, then the general rows."""
        return self.approach_names + self.general_names

    @property
    def condition_names(self) -> list[str]:
        return self.conditions["condition"].tolist()

    @property
    def technique_names(self) -> list[str]:
        return self.techniques["technique"].tolist()

    @property
    def procedure_names(self) -> list[str]:
        return self.procedures["procedure"].tolist()

    @property
    def undescribed_approaches(self) -> list[str]:
        """Approaches data may hold that the source documents do not describe (biportal endoscopic)."""
        known = set(self.approach_names)
        return [a for a in dict.fromkeys(self.techniques["approach"]) if a and a not in known]

    def names(self, kind: str) -> list[str]:
        """Canonical values of one kind; for "approach" only the four the documents describe."""
        if kind not in KINDS:
            raise KnowledgeError(f"kind must be one of {KINDS}, got {kind!r}")
        return {"approach": self.approach_names, "condition": self.condition_names,
                "technique": self.technique_names, "procedure": self.procedure_names}[kind]

    def is_described(self, approach: str) -> bool:
        """True for the four approaches the documents describe; False for e.g. biportal endoscopic."""
        return approach in set(self.approach_names)

    def technique_approach(self, technique: str) -> str | None:
        """The approach a technique is filed under (one of the four, or e.g. "Biportal endoscopic").

        None for a technique that is only how the surgeon sees ("Microscope", "Endoscope"): it does
        not decide the approach on its own.
        """
        match = self.techniques.loc[self.techniques["technique"] == technique, "approach"]
        if match.empty:
            raise KnowledgeError(f"unknown technique {technique!r}")
        return str(match.iloc[0]) or None

    def _entries(self, kind: str) -> dict[str, Term]:
        """Normalised word → Term for one kind: canonical names first, then aliases."""
        return _entries(self, kind)

    def resolve_term(self, raw: str, kind: str | None = None) -> Term:
        """What `raw` stands for: known (kind, value), ambiguous (candidates to ask about) or unknown.

        With `kind` (the column being imported: "approach", "condition", "technique" or
        "procedure") that kind is tried first; then the other kinds, so a technique word in an
        approach column ("PTED", "UBE") still gives its approach family in `Term.approach`.
        Case, spacing and punctuation are ignored ("MIS-TLIF" = "mis tlif").
        """
        if kind in VALUE_KINDS:
            term = self._entries(kind).get(normalise_label(raw))
            return Term(raw=str(raw), status="unknown") if term is None else Term(
                raw=str(raw), **{f: getattr(term, f) for f in _TERM_FIELDS})
        if kind is not None and kind not in KINDS:
            raise KnowledgeError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "condition":
            return self._resolve_condition(raw)
        return self._resolve(raw, kind)

    def _resolve(self, raw: str, kind: str | None) -> Term:
        key = normalise_label(raw)
        order = ([kind] if kind else []) + [k for k in ("approach", "technique", "procedure", "condition") if k != kind]
        for k in order:
            term = self._entries(k).get(key)
            if term is not None:
                return Term(raw=str(raw), **{f: getattr(term, f) for f in _TERM_FIELDS})
        return Term(raw=str(raw), status="unknown")

    def _resolve_condition(self, raw: str) -> Term:
        """A condition word, also when a region word leads it ("Cervical disc herniation": Herniated disc,
        region cervical) or a bracket qualifies it ("Cervical radiculopathy (foraminal stenosis)").

        The region word only says where: the rest of the word decides the condition, so an umbrella
        word stays ambiguous ("cervical radiculopathy" is asked about). A bracket never settles an
        ambiguous word; a bracket that names another condition than the word makes it ambiguous.
        """
        text = str(raw)
        words = normalise_label(text).split()
        region = REGION_WORDS.get(words[0]) if len(words) > 1 else None
        term = self._resolve(text, "condition")
        if term.status == "unknown" and region is not None:
            rest = re.sub(r"^\W*" + r"\W+".join(re.escape(w) for w in words[:1]), "", text.casefold(), count=1)
            term = self._resolve(rest, "condition")
            text = rest
            if term.kind not in (None, "condition"):  # "lumbar PTED" is no condition
                term = Term(raw=str(raw), status="unknown")
        bracket = re.findall(r"[(\[]([^)\]]*)[)\]]", text)
        if term.status == "unknown" and bracket:
            main = self._resolve(re.sub(r"[(\[][^)\]]*[)\]]", " ", text), "condition")
            inner = [self._resolve(b, "condition") for b in bracket]
            said = "; ".join(f"'({b})'" for b in bracket)
            others = [t.value for t in inner if t.known and t.kind == "condition" and t.value != main.value]
            if main.known and main.kind == "condition" and others:
                term = Term(raw=str(raw), status="ambiguous", kind="condition", candidates=tuple(dict.fromkeys([main.value, *others])),
                            note=f"The word and its bracket {said} name different conditions. Say which.")
            elif main.status != "unknown":
                extra = f" The file adds {said}." if main.ambiguous else ""
                term = Term(raw=str(raw), **{**{f: getattr(main, f) for f in _TERM_FIELDS}, "note": (main.note + extra).strip()})
        if term.status == "unknown" or term.kind != "condition":
            return Term(raw=str(raw), **{f: getattr(term, f) for f in _TERM_FIELDS}) if term.status != "unknown" else Term(raw=str(raw), status="unknown")
        note = term.note
        if region is not None:
            note = (note + f" The region ({region}) is recorded in the region column.").strip()
        return Term(raw=str(raw), **{**{f: getattr(term, f) for f in _TERM_FIELDS}, "note": note}, region=region)

    def terms(self, raw: str) -> list[Term]:
        """Every reading of `raw`, one per kind it is listed under ("microdiscectomy": approach and procedure)."""
        key = normalise_label(raw)
        found = [self._entries(k).get(key) for k in KINDS]
        return [Term(raw=str(raw), **{f: getattr(t, f) for f in _TERM_FIELDS}) for t in found if t is not None]

    def value_words(self, kind: str) -> dict[str, str]:
        """Normalised word -> canonical value for a value kind ("sex", "yes/no", "satisfied",
        "satisfaction", "timepoint"), ambiguous words left out (ask about them via `resolve_term`)."""
        if kind not in VALUE_KINDS:
            raise KnowledgeError(f"kind must be one of {tuple(VALUE_KINDS)}, got {kind!r}")
        return {key: t.value for key, t in self._entries(kind).items() if t.known}

    def alias_lookup(self, kind: str) -> dict[str, str]:
        """Normalised alias → canonical name for `kind`, canonical names included; never an ambiguous word.

        For "approach" the technique words whose approach the documents describe are included too
        ("PTED" → Full-endoscopic), so a reader that only knows approaches keeps working; an
        umbrella term (MIS, endoscopic) is left out, so it is reported rather than filed silently.
        Use `resolve_term` to learn why a word is missing and what to ask.
        """
        lookup = {key: t.value for key, t in self._entries(kind).items() if t.known}
        if kind == "approach":
            described = set(self.approach_names)
            for key, t in self._entries("technique").items():
                if t.known and t.approach in described:
                    lookup.setdefault(key, t.approach)
        return lookup

    def resolve(self, kind: str, text: str) -> str | None:
        """The canonical name `text` stands for (any spelling or alias), or None if it is unknown or ambiguous."""
        return self.alias_lookup(kind).get(normalise_label(text))

    def _subject(self, text: str) -> str:
        """An approach (any alias) or a general row such as "Minimally invasive surgery in general"."""
        general = {normalise_label(g): g for g in self.general_names}
        return general.get(normalise_label(text)) or self._require("approach", text)

    def _require(self, kind: str, text: str) -> str:
        name = self.resolve(kind, text)
        if name is None:
            raise KnowledgeError(f"unknown {kind} {text!r}")
        return name

    # --- sources -----------------------------------------------------------------------------

    def source_title(self, source_id: str) -> str:
        """The document's title (what users see) for a source_id."""
        match = self.sources.loc[self.sources["source_id"] == source_id, "title"]
        if match.empty:
            raise KnowledgeError(f"unknown source_id {source_id!r}")
        return str(match.iloc[0])

    def _titles(self, source_ids: Iterable[str]) -> str:
        ids = list(dict.fromkeys(i for cell in source_ids for i in _split_ids(cell)))
        return "; ".join(self.source_title(i) for i in ids)

    # --- views for the Procedures page ---------------------------------------------------------

    def approaches_for(self, condition: str, include_general: bool = False) -> pd.DataFrame:
        """Each approach for `condition`: status, why (sentences joined), source titles; "treats" first.

        Returns columns approach, status, why, source_title, in vocabulary order within each status.
        With include_general, the general rows (minimally invasive surgery in general) follow the
        four approaches, sorted by status among them.
        """
        name = self._require("condition", condition)
        cells = self.indications[self.indications["condition"] == name]
        rows = []
        for approach in self.subject_names if include_general else self.approach_names:
            cell = cells[cells["approach"] == approach]
            rows.append({
                "approach": approach,
                "status": cell["status"].iloc[0],
                "why": " ".join(dict.fromkeys(cell["why"])),
                "source_title": self._titles(cell["source_id"]),
            })
        out = pd.DataFrame(rows, columns=["approach", "status", "why", "source_title"])
        general = out["approach"].isin(self.general_names).astype(int) * len(STATUSES)
        order = general + out["status"].map({status: i for i, status in enumerate(STATUSES)})
        return out.iloc[order.argsort(kind="stable")].reset_index(drop=True)

    def describe_condition(self, condition: str) -> tuple[str, str]:
        """(plain-language description, source titles) for a condition or any of its aliases."""
        name = self._require("condition", condition)
        row = self.conditions[self.conditions["condition"] == name].iloc[0]
        return str(row["description"]), self._titles([row["source_ids"]])

    def approach_info(self, approach: str) -> pd.Series:
        """The approaches.csv row (full name, family, minimally invasive, summary) for an approach, alias or general row."""
        name = self._subject(approach)
        return self.approaches[self.approaches["approach"] == name].iloc[0]

    def facts_for(self, approach: str) -> pd.DataFrame:
        """Every fact about one approach (or general row), attributes in display order: attribute, label, value, source_title."""
        name = self._subject(approach)
        facts = self.facts[self.facts["approach"] == name].copy()
        facts["order"] = facts["attribute"].map(list(ATTRIBUTES).index)
        facts = facts.sort_values("order", kind="stable")
        facts["label"] = facts["attribute"].map(ATTRIBUTES)
        facts["source_title"] = [self._titles([s]) for s in facts["source_id"]]
        return facts[["attribute", "label", "value", "source_title"]].reset_index(drop=True)

    def compare(self, approaches: list[str], attributes: Iterable[str] = COMPARE_ATTRIBUTES) -> pd.DataFrame:
        """Side-by-side table: one row per attribute (readable label), one column per approach.

        A cell joins that approach's facts for the attribute, or reads "Not stated in sources".
        """
        names = [self._subject(a) for a in approaches]
        attributes = list(attributes)
        unknown = [a for a in attributes if a not in ATTRIBUTES]
        if unknown:
            raise KnowledgeError(f"unknown attribute(s) {unknown}; known: {list(ATTRIBUTES)}")
        table = {}
        for name in names:
            facts = self.facts[self.facts["approach"] == name]
            table[name] = [" ".join(dict.fromkeys(facts.loc[facts["attribute"] == attr, "value"])) for attr in attributes]
        out = pd.DataFrame(table, index=pd.Index([ATTRIBUTES[a] for a in attributes], name="attribute"), columns=names)
        return out

    def source_titles_for(self, approaches: list[str], attributes: Iterable[str] = COMPARE_ATTRIBUTES) -> list[str]:
        """Titles of the documents behind these approaches' facts on `attributes`, in source order."""
        names = {self._subject(a) for a in approaches}
        rows = self.facts["approach"].isin(names) & self.facts["attribute"].isin(list(attributes))
        ids = set(self.facts.loc[rows, "source_id"])
        return [t for sid, t in zip(self.sources["source_id"], self.sources["title"], strict=True) if sid in ids]

    def techniques_table(self) -> pd.DataFrame:
        """Each technique with the approach it is filed under, how the surgeon sees, and whether the documents describe it.

        Columns technique, approach, visualisation, described (document titles, or NOT_DESCRIBED), note.
        """
        out = self.techniques[["technique", "approach", "visualisation"]].copy()
        out["approach"] = out["approach"].replace("", "decided by the approach column")
        out["described"] = [self._titles([s]) or NOT_DESCRIBED for s in self.techniques["source_ids"]]
        out["note"] = self.techniques["note"]
        return out.reset_index(drop=True)

    def describe_data_values(self, approaches: Iterable[str] = (), techniques: Iterable[str] = ()) -> pd.DataFrame:
        """For approach and technique values found in data: which the source documents do not describe.

        Returns one row per distinct value the documents do not describe, columns column, value,
        statement (in the user's words). An approach is described if it is one of the four; a
        technique if a document describes it (its approach may still be one of the four).
        """
        rows = []
        described = set(self.approach_names)
        for value in dict.fromkeys(str(v) for v in approaches if pd.notna(v) and str(v).strip()):
            if value not in described:
                rows.append({"column": "approach", "value": value,
                             "statement": f"{value}: {NOT_DESCRIBED}. Shown as recorded, not filed under another approach."})
        ids = dict(zip(self.techniques["technique"], self.techniques["source_ids"], strict=True))
        for value in dict.fromkeys(str(v) for v in techniques if pd.notna(v) and str(v).strip()):
            # Technique values are kept as the clinic wrote them: read them through the aliases.
            term = self.resolve_term(value, "technique")
            if term.known and term.kind == "technique" and ids[term.value]:
                continue
            where = term.approach if term.known else None
            filed = (f" Filed under {where}." if where in described else
                     " Filed under no approach the documents describe." if where else "")
            rows.append({"column": "technique", "value": value, "statement": f"{value}: {NOT_DESCRIBED}.{filed}"})
        return pd.DataFrame(rows, columns=["column", "value", "statement"])

    def category_mapping(self) -> pd.DataFrame:
        """How each document's own category was filed: category, filed_under, why, source_title (document titles)."""
        out = self.categories[["category", "filed_under", "why"]].copy()
        out["source_title"] = [self._titles([s]) for s in self.categories["source_ids"]]
        return out.reset_index(drop=True)

    def search(self, text: str) -> pd.DataFrame:
        """Facts, condition descriptions and indication reasons containing every word of `text`.

        A query word matches the start of a word in the text ("endosc" finds "endoscope"), ignoring
        case and punctuation; "4mm" and "4 mm" find each other. Returns columns
        kind, subject, topic, text, source_title (empty frame for an empty query).
        """
        columns = ["kind", "subject", "topic", "text", "source_title"]
        words = _search_tokens(text)[0]
        if not words:
            return pd.DataFrame(columns=columns)
        facts = self.facts[self.facts["value"] != NOT_STATED]
        candidates = pd.concat([
            pd.DataFrame({
                "kind": "Procedure fact",
                "subject": facts["approach"],
                "topic": facts["attribute"].map(ATTRIBUTES),
                "text": facts["value"],
                "source_ids": facts["source_id"],
            }),
            pd.DataFrame({
                "kind": "Condition",
                "subject": self.conditions["condition"],
                "topic": "What it is",
                "text": self.conditions["description"],
                "source_ids": self.conditions["source_ids"],
            }),
            pd.DataFrame({
                "kind": "Which approach treats it",
                "subject": self.indications["condition"] + " · " + self.indications["approach"],
                "topic": self.indications["status"],
                "text": self.indications["why"],
                "source_ids": self.indications["source_id"],
            }),
        ], ignore_index=True)
        haystacks = (candidates["subject"] + " " + candidates["topic"] + " " + candidates["text"]).map(_search_tokens)
        hit = haystacks.map(lambda h: all(any(token.startswith(w) for token in h[1]) for w in words))
        found = candidates[hit].copy()
        found["source_title"] = [self._titles([s]) for s in found["source_ids"]]
        return found[columns].reset_index(drop=True)


# --- words → terms ---------------------------------------------------------------------------

_TERM_FIELDS = ("status", "kind", "value", "candidates", "approach", "approach_candidates", "described",
                "visualisation", "note")


def _entries(k: Knowledge, kind: str) -> dict[str, Term]:
    # Built once per loaded catalogue and kind; kept on the instance (the frozen dataclass has a __dict__).
    cache = k.__dict__.setdefault("_entries_cache", {})
    if kind in cache:
        return cache[kind]
    described = set(k.approach_names)
    visualisation = dict(zip(k.techniques["technique"], k.techniques["visualisation"], strict=True))

    def approach_of(kind_: str, value: str) -> str | None:
        if kind_ == "approach":
            return value
        if kind_ == "technique":
            return k.technique_approach(value)
        return None

    def make(value: str | None, candidates: tuple[str, ...], note: str, word: str) -> Term:
        if kind in VALUE_KINDS:
            return Term(raw=word, status="known" if value is not None else "ambiguous", kind=kind, value=value,
                        candidates=candidates, note=note)
        if value is not None:
            approach = approach_of(kind, value)
            seen = visualisation.get(value) if kind == "technique" else None
            return Term(raw=word, status="known", kind=kind, value=value, approach=approach,
                        described=None if approach is None else approach in described, visualisation=seen, note=note)
        approaches = tuple(dict.fromkeys(a for a in (approach_of(kind, c) for c in candidates) if a))
        # Every candidate files under the same approach (METRx: tube either way): the approach is known.
        approach = approaches[0] if len(approaches) == 1 and len(candidates) > 1 else None
        return Term(raw=word, status="ambiguous", kind=kind, candidates=candidates, approach=approach,
                    approach_candidates=approaches,
                    described=None if approach is None else approach in described, note=note)

    out: dict[str, Term] = {}
    for name in (k.names(kind) if kind in KINDS else ()):
        out[normalise_label(name)] = make(name, (), "", name)
    rows = k.aliases[k.aliases["kind"] == kind]
    for row in rows.itertuples(index=False):
        if row.canonical == AMBIGUOUS:
            out[normalise_label(row.alias)] = make(None, tuple(_split_ids(row.candidates)), row.note, row.alias)
        else:
            out[normalise_label(row.alias)] = make(row.canonical, (), row.note, row.alias)
    cache[kind] = out
    return out


# --- loading ---------------------------------------------------------------------------------


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    rel, required = FILES[name]
    path = data_dir / rel
    if not path.is_file():
        raise KnowledgeError(f"{rel}: file not found in {data_dir}")
    try:
        # Everything as text, and "" stays "" (a blank source_id is meaningful: nothing to cite).
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{rel}: cannot be read as CSV ({exc})") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise KnowledgeError(f"{rel}: missing required column(s) {missing}; found {list(df.columns)}")
    df = df.apply(lambda col: col.str.strip())
    # Every required column except source ids must be filled in on every row.
    for col in required:
        if col in _OPTIONAL or col in _OPTIONAL_IN.get(name, ()):
            continue
        blank = df.index[df[col] == ""].tolist()
        if blank:
            raise KnowledgeError(f"{rel}: column {col!r} is empty on data row(s) {[i + 1 for i in blank]}")
    return df


def _check_bool(df: pd.DataFrame, col: str, rel: str) -> pd.Series:
    bad = sorted(set(df.loc[~df[col].str.casefold().isin(_BOOLS), col]))
    if bad:
        raise KnowledgeError(f"{rel}: column {col!r} must be True or False, found {bad}")
    return df[col].str.casefold().map(_BOOLS).astype(bool)


def _check_known(values: pd.Series, known: Iterable[str], what: str, rel: str) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise KnowledgeError(f"{rel}: unknown {what} {unknown}; known: {sorted(set(known))}")


def _check_source_ids(df: pd.DataFrame, col: str, known: set[str], rel: str, required: pd.Series | None = None) -> None:
    """Every id in `col` (";"-separated) exists; rows where `required` is True must cite at least one."""
    ids = {i for cell in df[col] for i in _split_ids(cell)}
    _check_known(pd.Series(sorted(ids), dtype=str), known, "source_id(s)", rel)
    needs = required if required is not None else pd.Series(True, index=df.index)
    uncited = df.index[needs & (df[col].map(_split_ids).map(len) == 0)].tolist()
    if uncited:
        raise KnowledgeError(f"{rel}: rows {[i + 1 for i in uncited]} state something but cite no source_id")


def _validate(k: dict[str, pd.DataFrame]) -> None:
    rel = {name: FILES[name][0] for name in FILES}
    sources, approaches, facts, categories = k["sources"], k["approaches"], k["facts"], k["categories"]
    conditions, indications, aliases = k["conditions"], k["indications"], k["aliases"]

    for name, key in (("sources", "source_id"), ("approaches", "approach"), ("conditions", "condition")):
        dup = sorted(set(k[name].loc[k[name][key].duplicated(), key]))
        if dup:
            raise KnowledgeError(f"{rel[name]}: duplicated {key} {dup}")
    known_sources = set(sources["source_id"])
    _check_known(approaches["scope"], (SCOPE_APPROACH, SCOPE_GENERAL), "scope(s)", rel["approaches"])
    subject_names = list(approaches["approach"])
    approach_names = list(approaches.loc[approaches["scope"] == SCOPE_APPROACH, "approach"])
    condition_names = list(conditions["condition"])

    _check_source_ids(approaches, "source_ids", known_sources, rel["approaches"])
    _check_source_ids(conditions, "source_ids", known_sources, rel["conditions"])

    # Facts: known approach and attribute; a cited source unless the value says nothing is stated.
    _check_known(facts["approach"], subject_names, "approach(es)", rel["facts"])
    _check_known(facts["attribute"], ATTRIBUTES, "attribute(s)", rel["facts"])
    _check_source_ids(facts, "source_id", known_sources, rel["facts"], required=facts["value"] != NOT_STATED)
    present = set(zip(facts["approach"], facts["attribute"], strict=True))
    gaps = [f"{a}/{attr}" for a in subject_names for attr in ATTRIBUTES if (a, attr) not in present]
    if gaps:
        raise KnowledgeError(f"{rel['facts']}: no fact (nor {NOT_STATED!r}) for {gaps}")
    mixed = facts.groupby(["approach", "attribute"])["value"].agg(lambda v: (v == NOT_STATED).any() and len(v) > 1)
    if mixed.any():
        raise KnowledgeError(f"{rel['facts']}: {NOT_STATED!r} alongside other facts for {list(mixed[mixed].index)}")

    # Indications: a full matrix over known names, one status per cell, "treats" always cited.
    _check_known(indications["condition"], condition_names, "condition(s)", rel["indications"])
    _check_known(indications["approach"], subject_names, "approach(es)", rel["indications"])
    _check_known(indications["status"], STATUSES, "status(es)", rel["indications"])
    _check_known(indications["evidence"], EVIDENCE, "evidence kind(s)", rel["indications"])
    wrong = indications.index[indications["evidence"].map(EVIDENCE) != indications["status"]].tolist()
    if wrong:
        raise KnowledgeError(f"{rel['indications']}: rows {[i + 1 for i in wrong]} give a status their kind of "
                             "evidence does not allow (the same kind of evidence must give the same answer)")
    _check_source_ids(indications, "source_id", known_sources, rel["indications"],
                      required=indications["status"] != STATUS_NOT_STATED)
    cells = set(zip(indications["condition"], indications["approach"], strict=True))
    gaps = [f"{c} × {a}" for c in condition_names for a in subject_names if (c, a) not in cells]
    if gaps:
        raise KnowledgeError(f"{rel['indications']}: missing cells {gaps}")
    # Categories: every document's category filed under a known row, every document accounted for.
    _check_known(categories["filed_under"], subject_names, "filed_under value(s)", rel["categories"])
    _check_source_ids(categories, "source_ids", known_sources, rel["categories"])
    unfiled = sorted(known_sources - {i for cell in categories["source_ids"] for i in _split_ids(cell)})
    if unfiled:
        raise KnowledgeError(f"{rel['categories']}: no category for source_id(s) {unfiled}")

    statuses = indications.groupby(["condition", "approach"])["status"].nunique()
    if (statuses > 1).any():
        raise KnowledgeError(f"{rel['indications']}: conflicting statuses for {list(statuses[statuses > 1].index)}")

    # Techniques: a known visualisation; an approach that is one of the four or a family of its own
    # (one the documents do not describe); procedures: unique names.
    techniques, procedures = k["techniques"], k["procedures"]
    for name, key in (("techniques", "technique"), ("procedures", "procedure")):
        dup = sorted(set(k[name].loc[k[name][key].duplicated(), key]))
        if dup:
            raise KnowledgeError(f"{rel[name]}: duplicated {key} {dup}")
    _check_known(techniques["visualisation"], VISUALISATIONS, "visualisation(s)", rel["techniques"])
    _check_source_ids(techniques, "source_ids", known_sources, rel["techniques"], required=pd.Series(False, index=techniques.index))
    _check_source_ids(procedures, "source_ids", known_sources, rel["procedures"], required=pd.Series(False, index=procedures.index))
    clash = sorted(set(techniques["approach"]) & set(condition_names))
    if clash:
        raise KnowledgeError(f"{rel['techniques']}: approach(es) {clash} are condition names")
    all_approaches = approach_names + [a for a in dict.fromkeys(techniques["approach"]) if a not in approach_names]

    # Aliases: known kind and canonical name (or "ambiguous" with known candidates and a note saying
    # why); unique after normalisation within a kind, canonical names included.
    _check_known(aliases["kind"], (*KINDS, *VALUE_KINDS), "kind(s)", rel["aliases"])
    own = aliases["source"].str.startswith(OWN_VOCABULARY)
    _check_known(aliases.loc[~own, "source"].map(_split_ids).explode().dropna(), known_sources,
                 f"source(s) (a seed's source_id, or '{OWN_VOCABULARY}…')", rel["aliases"])
    names_of = {"approach": approach_names, "condition": condition_names,
                "technique": list(techniques["technique"]), "procedure": list(procedures["procedure"])}
    for kind, allowed_values in VALUE_KINDS.items():
        rows = aliases[aliases["kind"] == kind]
        values = rows.loc[rows["canonical"] != AMBIGUOUS, "canonical"]
        values = pd.concat([values, rows.loc[rows["canonical"] == AMBIGUOUS, "candidates"].map(_split_ids).explode()])
        if allowed_values is None:
            form = r"pre|\d+[wm]" if kind == "timepoint" else r"[a-z][a-z0-9_]*"
            allowed_values = tuple(v for v in set(values.dropna()) if re.fullmatch(form, v))
        names_of[kind] = list(allowed_values)
    for kind, names in names_of.items():
        rows = aliases[aliases["kind"] == kind]
        plain = rows[rows["canonical"] != AMBIGUOUS]
        _check_known(plain["canonical"], names, f"canonical {kind} name(s)", rel["aliases"])
        loose = plain.index[plain["candidates"] != ""].tolist()
        if loose:
            raise KnowledgeError(f"{rel['aliases']}: rows {[i + 1 for i in loose]} list candidates but are not "
                                 f"marked {AMBIGUOUS!r}: an umbrella term must not map to one value")
        asks = rows[rows["canonical"] == AMBIGUOUS]
        empty = asks.index[(asks["candidates"] == "") | (asks["note"] == "")].tolist()
        if empty:
            raise KnowledgeError(f"{rel['aliases']}: ambiguous rows {[i + 1 for i in empty]} need candidates and a note")
        candidates = pd.Series([c for cell in asks["candidates"] for c in _split_ids(cell)], dtype=str)
        allowed = all_approaches if kind == "approach" else names
        _check_known(candidates, allowed, f"{kind} candidate(s)", rel["aliases"])
        keys = pd.concat([pd.Series(names, dtype=str).map(normalise_label), rows["alias"].map(normalise_label)],
                         ignore_index=True)
        if (keys == "").any():
            raise KnowledgeError(f"{rel['aliases']}: a {kind} alias has no letters or digits")
        dup = sorted(set(keys[keys.duplicated()]))
        if dup:
            raise KnowledgeError(f"{rel['aliases']}: {kind} alias(es) duplicated after normalisation: {dup}")


@functools.lru_cache(maxsize=8)
def _load(data_dir: Path) -> Knowledge:
    frames = {name: _read(data_dir, name) for name in FILES}
    _validate(frames)
    frames["sources"]["title_assigned"] = _check_bool(frames["sources"], "title_assigned", FILES["sources"][0])
    frames["approaches"]["minimally_invasive"] = _check_bool(
        frames["approaches"], "minimally_invasive", FILES["approaches"][0]
    )
    return Knowledge(**frames)


def load_knowledge(data_dir: str | Path | None = None) -> Knowledge:
    """Read and check the whole knowledge catalogue (cached per resolved directory; pure data).

    Raises:
        KnowledgeError: a file is missing or unreadable, a required column is absent, or the
            files disagree (unknown source_id, approach, condition or attribute; duplicated alias…).
    """
    return _load(Path(data_dir or DEFAULT_DATA_DIR).resolve())
