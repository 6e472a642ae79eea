"""Detects two MXNet distributions installed into one ``mxnet`` folder (CPU wheel + CUDA build).

``mxnet`` and ``mxnet-cu117`` (...) share an import name: installing one after the other
mixes their files in one ``site-packages/mxnet`` and ``pip check`` sees nothing. Found
from the ``*.dist-info`` folders alone (nothing imported); as a script it exits 1 with
the repair.
"""
import os
import re
import sys

__all__ = ['mixed_mxnet_installs', 'mixed_mxnet_message']

# mxnet-1.9.1.dist-info, mxnet_cu117-1.9.1.dist-info, mxnet_mkl-1.6.0.dist-info
_DIST_INFO = re.compile(r'^(mxnet(?:[-_][a-z0-9]+)?)-([^-]+)\.dist-info$', re.IGNORECASE)


def _claims_mxnet_folder(dist_info):
    """Does the distribution whose metadata is in ``dist_info`` install ``mxnet/``?"""
    top = os.path.join(dist_info, 'top_level.txt')
    if os.path.isfile(top):
        with open(top, encoding='utf-8') as f:
            if 'mxnet' in f.read().split():
                return True
    record = os.path.join(dist_info, 'RECORD')
    if os.path.isfile(record):
        with open(record, encoding='utf-8') as f:
            return any(line.startswith('mxnet/') for line in f)
    return False


def mixed_mxnet_installs(paths=None):
    """``[(folder, [(name, version), ...]), ...]``: the folders of ``paths`` (default
    ``sys.path``) whose ``mxnet`` package two or more ``mxnet*`` distributions claim."""
    out, seen = [], set()
    for folder in sys.path if paths is None else paths:
        folder = os.path.abspath(folder or os.curdir)
        if folder in seen or not os.path.isdir(os.path.join(folder, 'mxnet')):
            continue
        seen.add(folder)
        owners = []
        for entry in sorted(os.listdir(folder)):
            match = _DIST_INFO.match(entry)
            if match and _claims_mxnet_folder(os.path.join(folder, entry)):
                owners.append((match.group(1).replace('_', '-').lower(), match.group(2)))
        if len(owners) > 1:
            out.append((folder, owners))
    return out


def mixed_mxnet_message(found, python='python'):
    """What is wrong and how to repair it, for the result of :func:`mixed_mxnet_installs`."""
    lines = []
    for folder, owners in found:
        names = [n for n, _ in owners]
        cuda = [n for n in names if n != 'mxnet']
        keep = '%s==%s' % (cuda[-1], dict(owners)[cuda[-1]]) if cuda else None
        lines.append(
            'MXNet is installed twice into one folder, %s: %s. Their files overwrite each '
            'other, so this MXNet is a mix of the two builds (pip check does not see it). '
            'Repair: %s -m pip uninstall -y %s, then %s -m pip install %s'
            % (os.path.join(folder, 'mxnet'), ', '.join('%s %s' % o for o in owners), python,
               ' '.join(names), python, '%s (the CUDA build; or mxnet==1.9.1 for the CPU only)'
               % keep if keep else 'mxnet==1.9.1'))
    return '\n'.join(lines)


if __name__ == '__main__':
    _found = mixed_mxnet_installs()
    if _found:
        print(mixed_mxnet_message(_found, sys.executable), file=sys.stderr)
        sys.exit(1)
