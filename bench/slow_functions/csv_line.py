# BENCH: csv_line([str(i) for i in range(3000)])
def csv_line(fields):
    """The fields joined by commas (string building in a loop, with repeated work)."""
    line = ""
    for index in range(len(fields)):
        if index > 0:
            line = line + ","
        line = line + str(fields[index]).strip()
    return line
