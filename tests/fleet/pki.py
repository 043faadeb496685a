"""Certificates for the fleet suite, made with the openssl command: a CA,
a second CA nobody trusts, and ECDSA P-256 leaves (servers, an expired
one, a client)."""
import os
import subprocess

CNF = """[ ca ]
default_ca = ca_default
[ ca_default ]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}/new
serial = {d}/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
[ server ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = {san}
[ client ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
"""


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class CA:
    def __init__(self, d, name):
        self.d = d
        os.makedirs(os.path.join(d, "new"), exist_ok=True)
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        self.key = os.path.join(d, "ca.key")
        self.pem = os.path.join(d, "ca.pem")
        sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
           "-out", self.key)
        sh("openssl", "req", "-x509", "-new", "-key", self.key, "-sha256",
           "-subj", "/CN=" + name, "-days", "3", "-out", self.pem)

    def leaf(self, name, kind, san="", start=None, end=None):
        """name.key, name.pem signed by this CA; kind server or client"""
        key = os.path.join(self.d, name + ".key")
        csr = os.path.join(self.d, name + ".csr")
        pem = os.path.join(self.d, name + ".pem")
        cnf = os.path.join(self.d, name + ".cnf")
        with open(cnf, "w") as f:
            f.write(CNF.format(d=self.d, san=san or "DNS:" + name))
        sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
           "-out", key)
        sh("openssl", "req", "-new", "-key", key, "-subj", "/CN=" + name,
           "-out", csr)
        when = ["-startdate", start, "-enddate", end] if start else \
            ["-days", "2"]
        sh("openssl", "ca", "-batch", "-notext", "-config", cnf, "-cert",
           self.pem, "-keyfile", self.key, "-in", csr, "-out", pem,
           "-extensions", kind, "-extfile", cnf, *when)
        os.chmod(key, 0o600)
        return key, pem
