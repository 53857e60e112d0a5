Console.Error.WriteLine("usage: maas <command>");
return 1;
