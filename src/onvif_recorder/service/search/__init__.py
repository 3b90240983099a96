"""Recording Search (Search 25.12): sans-IO semantics of every search operation.

``recorded`` is the narrow read port onto what was really recorded, ``information``
builds RecordingInformation and MediaAttributes, ``xpath`` is the searchFilter dialect,
``history`` derives the recording events of §5.17, ``sessions`` holds the asynchronous
search sessions (§5.2.3) and ``service`` ties them to the operations. Time is passed in.
"""
