"""ECG signal processing: QRS detection, generated rhythms, shipped recordings. Qt-free."""
