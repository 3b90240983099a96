"""The ElementItems of ``tns1:Monitoring/AsynchronousOperationStatus`` (Core §8.9.7) and
the tt:ArrayOfFileProgress that StopExportRecordedData/GetExportRecordedDataState answer
(RC §5.22, §5.23)."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.service.async_operation_events import (
    FileProgressStatus,
    OperationError,
    progress_text,
)
from onvif_recorder.soap.mapping.primitives import sub
from onvif_recorder.soap.namespaces import ENV, TT, qname


def write_file_progress(parent: etree._Element, tag: str, status: FileProgressStatus) -> None:
    """``tag`` of type tt:ArrayOfFileProgress: FileProgress* (FileName, Progress)."""
    array = sub(parent, tag)
    for file in status.files:
        item = sub(array, qname(TT, "FileProgress"))
        sub(item, qname(TT, "FileName"), file.file_name)
        sub(item, qname(TT, "Progress"), progress_text(file.progress))


def write_operation_item(parent: etree._Element,
                         value: FileProgressStatus | OperationError) -> None:
    if isinstance(value, FileProgressStatus):
        write_file_progress(parent, qname(TT, "FileProgressStatus"), value)
        return
    # The Value is a QName as text: its prefix is declared right here.
    fault = etree.SubElement(parent, qname(ENV, "Fault"), nsmap={"env": ENV})
    code = sub(fault, qname(ENV, "Code"))
    sub(code, qname(ENV, "Value"), "env:Receiver")
    reason = sub(fault, qname(ENV, "Reason"))
    text = sub(reason, qname(ENV, "Text"), value.reason)
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
