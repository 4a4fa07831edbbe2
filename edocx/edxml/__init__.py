"""edXML packets (QCVN 102:2016): a safe reader and the checks an importer runs."""
