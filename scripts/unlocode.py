#!/usr/bin/env python3
"""Writes reference/unlocode/{places,subdivisions}.tsv from a UN/LOCODE
release, keeping the places that are a port, a rail terminal, a road
terminal or an airport (function positions 1 to 4).

    python3 scripts/unlocode.py SOURCE

SOURCE is the release as UNECE ships it in CSV form: the zip file, the
folder it unpacks to, or any zip holding the files (the PyPI wheel
`pyunlocode` carries the 2023-1 files verbatim). The release is read from
the files named `<edition> UNLOCODE CodeListPart{1,2,3}.csv` and
`<edition> SubdivisionCodes.csv`; UNECE writes them in Windows-1252.

Run it for each new edition, then `cargo test -p interdict-domain locode`
and update reference/unlocode/README.md (edition, checksums, counts).
"""
import csv
import hashlib
import io
import pathlib
import re
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "reference" / "unlocode"
PART = re.compile(r"(?:^|/)(\d{4}-\d) UNLOCODE CodeListPart(\d)\.csv$")
SUBDIVISIONS = re.compile(r"(?:^|/)(\d{4}-\d) SubdivisionCodes\.csv$")
# Function positions 1-4 of the release's eight: port, rail terminal,
# road terminal, airport. Postal offices, inland depots, fixed installations
# and border crossings alone are not kept.
KINDS = "1234"
COORDINATES = re.compile(r"\d{4}[NS] \d{5}[EW]")
LOCATION = re.compile(r"[A-Z2-9]{3}")


def read_source(source):
    """Returns {name: bytes} of the release's CSV files."""
    path = pathlib.Path(source)
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*.csv")}
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.endswith(".csv")}


def rows(data):
    # Strict: a byte Windows-1252 leaves undefined means the file is not
    # what we think it is.
    return csv.reader(io.StringIO(data.decode("cp1252"), newline=""))


def main(source):
    files = read_source(source)
    parts = sorted(
        (int(m.group(2)), m.group(1), name)
        for name in files
        if (m := PART.search(name))
    )
    subdivision_files = [(m.group(1), n) for n in files if (m := SUBDIVISIONS.search(n))]
    editions = {edition for _, edition, _ in parts} | {e for e, _ in subdivision_files}
    if [p for p, _, _ in parts] != [1, 2, 3] or len(editions) != 1 or len(subdivision_files) != 1:
        sys.exit(f"expected CodeListPart1-3 and SubdivisionCodes of one edition in {source}, found {sorted(files)}")
    edition = editions.pop()

    places = {}
    merged = 0
    irregular = []
    for _, _, name in parts:
        for line, row in enumerate(rows(files[name]), start=1):
            if len(row) != 12:
                sys.exit(f"{name} line {line}: {len(row)} columns, expected 12")
            _change, country, location, place, _plain, sub, function, _status, _date, iata, coordinates, _remarks = row
            if not location or not any(c in function[:4] for c in KINDS):
                continue  # a country heading, a reference entry, or another kind of place
            if not re.fullmatch(r"[A-Z]{2}", country):
                sys.exit(f"{name} line {line}: `{country}` is not a country code")
            if not LOCATION.fullmatch(location):
                # A few requests under consideration use the digits 0 or 1,
                # which the code list's own rules exclude (and Interdict
                # refuses): such a code cannot be entered, so it is not kept.
                irregular.append(country + location)
                continue
            if any(c in place for c in "\t\n\r") or "?" in place:
                sys.exit(f"{name} line {line}: unexpected character in `{place}`")
            code = country + location
            flags = "".join(c if c in KINDS else "-" for c in function[:4])
            coordinates = coordinates if COORDINATES.fullmatch(coordinates) else ""
            entry = [code, place.strip(), sub.strip(), flags, iata.strip(), coordinates]
            if code in places:
                # Bilingual places are listed once per language, e.g.
                # "Brussel (Bruxelles)" and "Bruxelles (Brussel)": the first
                # already names both.
                first = places[code]
                if first[2:] != entry[2:]:
                    first[3] = "".join(a if a != "-" else b for a, b in zip(first[3], entry[3]))
                    first[4] = first[4] or entry[4]
                    first[5] = first[5] or entry[5]
                merged += 1
                continue
            places[code] = entry

    used = {(code[:2], sub) for code, _, sub, *_ in places.values() if sub}
    subdivisions = {}
    dropped_names = 0
    _, name = subdivision_files[0]
    for line, row in enumerate(rows(files[name]), start=1):
        if len(row) != 4:
            sys.exit(f"{name} line {line}: {len(row)} columns, expected 4")
        country, sub, sub_name, _type = (c.strip() for c in row)
        if (country, sub) not in used or (country, sub) in subdivisions:
            continue
        if "?" in sub_name or any(c in sub_name for c in "\t\r\n"):
            # UNECE's own export damaged these: a letter it could not write
            # in Windows-1252 became `?` ("Debubawi K'eyyi? Ba?ri"), or a
            # line break landed inside the name (three names). The code is
            # shown instead.
            dropped_names += 1
            continue
        subdivisions[(country, sub)] = sub_name

    OUT.mkdir(parents=True, exist_ok=True)
    header = f"# UN/LOCODE {edition}: ports, rail and road terminals, airports. Generated by scripts/unlocode.py; do not edit.\n"
    with open(OUT / "places.tsv", "w", encoding="utf-8", newline="\n") as out:
        out.write(header)
        for code in sorted(places):
            out.write("\t".join(places[code]) + "\n")
    with open(OUT / "subdivisions.tsv", "w", encoding="utf-8", newline="\n") as out:
        out.write(header)
        for (country, sub) in sorted(subdivisions):
            out.write(f"{country}\t{sub}\t{subdivisions[(country, sub)]}\n")

    print(f"UN/LOCODE {edition}")
    for _, _, name in parts + [(0, "", subdivision_files[0][1])]:
        print(f"  sha256 {hashlib.sha256(files[name]).hexdigest()}  {name}")
    print(f"  {len(places)} places kept ({merged} second-language duplicates merged)")
    print(f"  {len(irregular)} codes outside the A-Z, 2-9 alphabet left out: {' '.join(irregular)}")
    print(f"  {len(subdivisions)} subdivision names of {len(used)} used ({dropped_names} unreadable names dropped)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
