// OpenLink web app entry (being written)
