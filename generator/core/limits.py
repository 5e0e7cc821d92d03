"""Every bound the tool puts on what it reads, in one place: hostile or broken input meets a limit
and a clear message instead of exhausting memory, time or the stack.

Each value is generous for a real application (the example's largest file is 110 KB, its deepest
YAML five levels) and small enough that a file at the limit costs seconds, not gigabytes. The
README's table of limits is written from this module.
"""

from __future__ import annotations

MiB = 1024 * 1024

#: A YAML or Markdown content file. The example's longest plan section is 12 KB, a 2000-字 part
#: about 6 KB; 512 KiB is forty times that. The bound is on time: the Markdown parser costs up to
#: 70 µs a byte on pathological input (100,000 `[` take 7 s), so 512 KiB stays under 40 s where
#: 2 MiB would take minutes.
MAX_TEXT_FILE_BYTES = 512 * 1024

#: YAML nesting (mappings and lists inside each other). The form needs five levels; deeper input
#: is a mistake, and each level costs a Python stack frame when it is read.
MAX_YAML_DEPTH = 32

#: An image shown in the plan or attached: bytes on disk …
MAX_IMAGE_BYTES = 30 * MiB
#: … and pixels (width × height), read from the file's header without decoding it. A 30000×30000
#: PNG makes LibreOffice take 1.2 GB and 15 s; 80 million pixels covers a 50-megapixel phone
#: photo or an A3 scan at 600 dpi (7016×9921 = 70 million).
MAX_IMAGE_PIXELS = 80_000_000

#: A PDF attachment. Scanned agreements run to a few MB; 100 MiB keeps the package assembly
#: (which holds every part in memory) within a laptop's reach.
MAX_ATTACHMENT_BYTES = 100 * MiB
#: Pages in one PDF attachment: the package is printed and read by people.
MAX_ATTACHMENT_PAGES = 2000

#: The no-op build fingerprint hashes every file in the content folder; a file larger than this
#: is fingerprinted by its size and modification time instead of its bytes.
MAX_FINGERPRINT_FILE_BYTES = 64 * MiB
#: Files the fingerprint visits in the content folder (a real repo has a few dozen); beyond it
#: the build does not use the no-op shortcut.
MAX_FINGERPRINT_FILES = 10_000

#: Files looked at in the 字体目录 (a licensed font set is a dozen files).
MAX_FONT_FILES = 500
#: Folder levels in the 字体目录: a font set has one or two; the fonts.conf writer and fontconfig
#: walk it recursively, so a folder nested a thousand deep would end in a RecursionError.
MAX_FONT_FOLDER_DEPTH = 16
#: One font file: Noto CJK collections are about 30 MiB.
MAX_FONT_FILE_BYTES = 100 * MiB

#: A file name the tool writes, in bytes of UTF-8 (the limit of ext4, NTFS and APFS is 255;
#: room is left for the suffix and the atomic writer's temporary prefix and suffix).
MAX_OUTPUT_NAME_BYTES = 200
