"""Certified e-copies of paper originals, and e-duplicates from registers.

A certifier of a commune-level body certifies the scan of a paper original
(Decree 23/2015, Decree 45/2020; domain §6): the hub numbers it in the
body's electronic certification book of the year, writes the statement and
a QR code on its last page, and has it signed by the certifier and sealed
by the body (PAdES B-LT or better). Anyone can check such a copy online
(``check``) or offline with the body's certificate (``cli``).

``books`` names books and numbers, ``intake`` turns an upload into the scan
that is certified, ``statement`` and ``qr`` draw on the last page, ``cose``
signs the QR's payload (RFC 9052), ``sealing`` signs in a worker,
``certify`` runs the flow, ``check`` answers whether a file is the copy.
"""
